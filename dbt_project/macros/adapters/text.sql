{#-
    ADAPTER-SPECIFIC: timestamps, text clean-up, regular expressions, hashing and list
    helpers. DuckDB implementations (regular expressions are RE2); another engine adds
    `<adapter>__<name>` macros and the models stay as they are.
-#}

{#- ISO-8601 text with any offset ('Z', '+00:00', '+0200') -> TIMESTAMP in UTC (no zone). -#}
{% macro iso_to_utc(expr) -%}
    {{- adapter.dispatch('iso_to_utc', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__iso_to_utc(expr) -%}
    timezone('UTC', try_cast({{ expr }} as timestamptz))
{%- endmacro %}


{#- GDELT's compact UTC time ('20261205T141500Z') -> TIMESTAMP in UTC. -#}
{% macro compact_utc_to_ts(expr) -%}
    {{- adapter.dispatch('compact_utc_to_ts', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__compact_utc_to_ts(expr) -%}
    try_strptime({{ expr }}, '%Y%m%dT%H%M%SZ')
{%- endmacro %}


{#- Seconds since the epoch (Reddit sends floats such as 1795815881.0) -> TIMESTAMP in UTC. -#}
{% macro epoch_to_utc(expr) -%}
    {{- adapter.dispatch('epoch_to_utc', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__epoch_to_utc(expr) -%}
    make_timestamp(cast(round(cast({{ expr }} as double) * 1000000) as bigint))
{%- endmacro %}


{#- ISO-8601 duration ('PT1H4M13S', 'P1DT2S') -> whole seconds. -#}
{% macro iso_duration_seconds(expr) -%}
    {{- adapter.dispatch('iso_duration_seconds', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__iso_duration_seconds(expr) -%}
    case when {{ expr }} is not null then
          coalesce(try_cast(regexp_extract({{ expr }}, '(\d+)D', 1) as bigint), 0) * 86400
        + coalesce(try_cast(regexp_extract({{ expr }}, 'T.*?(\d+)H', 1) as bigint), 0) * 3600
        + coalesce(try_cast(regexp_extract({{ expr }}, 'T.*?(\d+)M', 1) as bigint), 0) * 60
        + coalesce(try_cast(regexp_extract({{ expr }}, 'T.*?(\d+)S', 1) as bigint), 0)
    end
{%- endmacro %}


{#- Decode HTML character references: the named ones platforms send, then decimal and hex
    numeric references; '&amp;' last so that '&amp;lt;' decodes once, to '&lt;'. -#}
{% macro decode_html_entities(expr) -%}
    {{- adapter.dispatch('decode_html_entities', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__decode_html_entities(expr) -%}
    replace(
        list_reduce(
            list_distinct(regexp_extract_all({{ expr }}, '&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});')),
            lambda acc, ref: replace(acc, ref, chr(cast(
                case when lower(ref) like '&#x%'
                     then '0x' || substr(ref, 4, length(ref) - 4)
                     else substr(ref, 3, length(ref) - 3) end as integer))),
            replace(replace(replace(replace(replace({{ expr }},
                '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&apos;', ''''), '&nbsp;', ' ')
        ),
        '&amp;', '&')
{%- endmacro %}


{#- HTML (Mastodon content, YouTube textDisplay) -> plain text: line breaks and paragraph
    ends become newlines, every other tag is dropped (the text inside stays, so Mastodon's
    split link spans join back into the full URL), then entities are decoded. -#}
{% macro html_to_text(expr) -%}
    {{- adapter.dispatch('html_to_text', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__html_to_text(expr) -%}
    trim({{ decode_html_entities(
        "regexp_replace(regexp_replace(regexp_replace(regexp_replace(" ~ expr ~ ",
            '(?i)<br\\s*/?>', chr(10), 'g'),
            '(?i)</p>\\s*<p[^>]*>', chr(10) || chr(10), 'g'),
            '<[^>]*>', '', 'g'),
            '[ \\t]+\\n', chr(10), 'g')"
    ) }})
{%- endmacro %}


{#- Lower-case hashtags in a text, without '#', distinct and sorted. A '#' glued to a word
    or an entity ('&#39;', 'C#') does not start a hashtag; all-digit tags ('#1') are not tags. -#}
{% macro hashtags_in(expr) -%}
    {{- adapter.dispatch('hashtags_in', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__hashtags_in(expr) -%}
    list_sort(list_distinct(list_filter(
        list_transform(regexp_extract_all(coalesce({{ expr }}, ''), '(?:^|[^\pL\pN_&#/])#([\pL\pN_]+)', 1),
                       lambda t: lower(t)),
        lambda t: not regexp_full_match(t, '[0-9]+'))))
{%- endmacro %}


{#- Lower-case @handles in a text (dots and hyphens allowed inside, as on Bluesky and
    YouTube), distinct and sorted; an '@' inside a word (an e-mail address) is not a mention. -#}
{% macro at_handles_in(expr) -%}
    {{- adapter.dispatch('at_handles_in', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__at_handles_in(expr) -%}
    list_sort(list_distinct(list_transform(
        regexp_extract_all(coalesce({{ expr }}, ''),
                           '(?:^|[^\pL\pN_@./])@([\pL\pN_](?:[\pL\pN_.-]*[\pL\pN_])?)', 1),
        lambda h: lower(h))))
{%- endmacro %}


{#- Reddit user references ('u/Name', '/u/Name'), lower-case, distinct and sorted. -#}
{% macro reddit_users_in(expr) -%}
    {{- adapter.dispatch('reddit_users_in', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__reddit_users_in(expr) -%}
    list_sort(list_distinct(list_transform(
        regexp_extract_all(coalesce({{ expr }}, ''), '(?:^|[^\pL\pN_])/?u/([A-Za-z0-9_-]{3,20})', 1),
        lambda h: lower(h))))
{%- endmacro %}


{#- Text as a sequence of words for whole-word matching: lower case, every run of
    characters that are not letters, digits or '_' (Unicode-aware) turned into one space,
    padded with a space at both ends. A phrase occurs in a text as whole words exactly when
    words_padded(phrase) is a substring of words_padded(text) (punctuation inside a phrase
    is not significant: "Lakemont-Realty" matches "Lakemont Realty"). The pattern is
    constant, so it is compiled once, not per row as a pattern built from each phrase would be. -#}
{% macro words_padded(expr) -%}
    {{- adapter.dispatch('words_padded', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__words_padded(expr) -%}
    (' ' || trim(regexp_replace(lower(coalesce({{ expr }}, '')), '[^\pL\pN_]+', ' ', 'g')) || ' ')
{%- endmacro %}
{% macro default__words_padded(expr) %}{{ adapter_not_supported('words_padded') }}{% endmacro %}


{#- Plain substring test. -#}
{% macro contains_text(haystack, needle) -%}
    {{- adapter.dispatch('contains_text', 'carepulse')(haystack, needle) -}}
{%- endmacro %}
{% macro duckdb__contains_text(haystack, needle) -%}
    contains({{ haystack }}, {{ needle }})
{%- endmacro %}
{% macro default__contains_text(haystack, needle) %}{{ adapter_not_supported('contains_text') }}{% endmacro %}


{#- Hex SHA-256 of a text (NULL stays NULL). -#}
{% macro sha256_hex(expr) -%}
    {{- adapter.dispatch('sha256_hex', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}


{#- Is `value` an element of the list `arr`? -#}
{% macro list_has(arr, value) -%}
    {{- adapter.dispatch('list_has', 'carepulse')(arr, value) -}}
{%- endmacro %}
{% macro duckdb__list_has(arr, value) -%}
    list_contains({{ arr }}, {{ value }})
{%- endmacro %}


{#- Distinct, sorted, non-null list from a list expression. -#}
{% macro list_clean(arr) -%}
    {{- adapter.dispatch('list_clean', 'carepulse')(arr) -}}
{%- endmacro %}
{% macro duckdb__list_clean(arr) -%}
    list_sort(list_distinct(list_filter({{ arr }}, lambda x: x is not null and x <> '')))
{%- endmacro %}


{#- Aggregate the non-null values of a column into a distinct, sorted list (deterministic). -#}
{% macro agg_sorted_list(expr) -%}
    {{- adapter.dispatch('agg_sorted_list', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__agg_sorted_list(expr) -%}
    list_sort(list_distinct(list({{ expr }}) filter (where {{ expr }} is not null)))
{%- endmacro %}


{% macro default__iso_to_utc(expr) %}{{ adapter_not_supported('iso_to_utc') }}{% endmacro %}
{% macro default__epoch_to_utc(expr) %}{{ adapter_not_supported('epoch_to_utc') }}{% endmacro %}
{% macro default__iso_duration_seconds(expr) %}{{ adapter_not_supported('iso_duration_seconds') }}{% endmacro %}
{% macro default__decode_html_entities(expr) %}{{ adapter_not_supported('decode_html_entities') }}{% endmacro %}
{% macro default__html_to_text(expr) %}{{ adapter_not_supported('html_to_text') }}{% endmacro %}
{% macro default__hashtags_in(expr) %}{{ adapter_not_supported('hashtags_in') }}{% endmacro %}
{% macro default__at_handles_in(expr) %}{{ adapter_not_supported('at_handles_in') }}{% endmacro %}
{% macro default__reddit_users_in(expr) %}{{ adapter_not_supported('reddit_users_in') }}{% endmacro %}
{% macro default__sha256_hex(expr) %}{{ adapter_not_supported('sha256_hex') }}{% endmacro %}
{% macro default__list_has(arr, value) %}{{ adapter_not_supported('list_has') }}{% endmacro %}
{% macro default__list_clean(arr) %}{{ adapter_not_supported('list_clean') }}{% endmacro %}
{% macro default__agg_sorted_list(expr) %}{{ adapter_not_supported('agg_sorted_list') }}{% endmacro %}


{#- A handle as compared everywhere: lower-case, without a leading '@' (YouTube, X,
    Mastodon) or 'u/' (Reddit). Mastodon remote handles keep their '@domain' part. -#}
{% macro normalize_handle(expr) -%}
    {{- adapter.dispatch('normalize_handle', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__normalize_handle(expr) -%}
    lower(regexp_replace(trim({{ expr }}), '^(@|/?u/)', ''))
{%- endmacro %}
{% macro default__normalize_handle(expr) %}{{ adapter_not_supported('normalize_handle') }}{% endmacro %}


{#- Lower-case every element of a list of strings. -#}
{% macro list_lower(arr) -%}
    {{- adapter.dispatch('list_lower', 'carepulse')(arr) -}}
{%- endmacro %}
{% macro duckdb__list_lower(arr) -%}
    list_transform({{ arr }}, lambda x: lower(x))
{%- endmacro %}
{% macro default__list_lower(arr) %}{{ adapter_not_supported('list_lower') }}{% endmacro %}


{#- Number of elements of a list (0 for NULL). -#}
{% macro list_len(arr) -%}
    {{- adapter.dispatch('list_len', 'carepulse')(arr) -}}
{%- endmacro %}
{% macro duckdb__list_len(arr) -%}
    coalesce(len({{ arr }}), 0)
{%- endmacro %}
{% macro default__list_len(arr) %}{{ adapter_not_supported('list_len') }}{% endmacro %}


{#- Number of strings in a list that start with `prefix`. -#}
{% macro list_count_prefix(arr, prefix) -%}
    {{- adapter.dispatch('list_count_prefix', 'carepulse')(arr, prefix) -}}
{%- endmacro %}
{% macro duckdb__list_count_prefix(arr, prefix) -%}
    coalesce(len(list_filter({{ arr }}, lambda x: starts_with(x, {{ sql_string(prefix) }}))), 0)
{%- endmacro %}
{% macro default__list_count_prefix(arr, prefix) %}{{ adapter_not_supported('list_count_prefix') }}{% endmacro %}


{#- Concatenate two lists. -#}
{% macro list_concat(a, b) -%}
    {{- adapter.dispatch('list_concat', 'carepulse')(a, b) -}}
{%- endmacro %}
{% macro duckdb__list_concat(a, b) -%}
    list_concat({{ a }}, {{ b }})
{%- endmacro %}
{% macro default__list_concat(a, b) %}{{ adapter_not_supported('list_concat') }}{% endmacro %}


{#- An empty list of strings (for rows with nothing to list). -#}
{% macro empty_string_list() -%}
    {{- adapter.dispatch('empty_string_list', 'carepulse')() -}}
{%- endmacro %}
{% macro duckdb__empty_string_list() -%}
    cast([] as varchar[])
{%- endmacro %}
{% macro default__empty_string_list() %}{{ adapter_not_supported('empty_string_list') }}{% endmacro %}


{#- Aggregate (from, to) text replacements into a sorted list (rows where `condition` holds). -#}
{% macro agg_replacements(from_expr, to_expr, condition) -%}
    {{- adapter.dispatch('agg_replacements', 'carepulse')(from_expr, to_expr, condition) -}}
{%- endmacro %}
{% macro duckdb__agg_replacements(from_expr, to_expr, condition) -%}
    list_sort(list_distinct(
        list({'handle': {{ from_expr }}, 'label': {{ to_expr }}})
            filter (where ({{ condition }}) and {{ from_expr }} is not null and {{ from_expr }} <> '')))
{%- endmacro %}
{% macro default__agg_replacements(from_expr, to_expr, condition) %}{{ adapter_not_supported('agg_replacements') }}{% endmacro %}


{#- Replace every '@handle' / 'u/handle' of a private person in a text by their pseudonym
    (pairs from label_mentions; case-insensitive, whole handle only). -#}
{% macro mask_private_mentions(text, replacements) -%}
    {{- adapter.dispatch('mask_private_mentions', 'carepulse')(text, replacements) -}}
{%- endmacro %}
{% macro duckdb__mask_private_mentions(text, replacements) -%}
    case when {{ replacements }} is null then {{ text }} else
    list_reduce(
        {{ replacements }},
        lambda acc, r: regexp_replace(acc, '(?i)(@|\bu/)' || regexp_escape(r.handle) || '\b', '\1' || r.label, 'g'),
        {{ text }})
    end
{%- endmacro %}
{% macro default__mask_private_mentions(text, replacements) %}{{ adapter_not_supported('mask_private_mentions') }}{% endmacro %}
