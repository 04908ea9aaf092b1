{#-
    ADAPTER-SPECIFIC: timestamps, text clean-up, regular expressions, hashing and list
    helpers. DuckDB implementations first (regular expressions are RE2), Spark's below
    (Java regular expressions); a macro without variants is spelled the same on both.
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
    contains({{ haystack }}, {{ needle }})
{%- endmacro %}


{#- Hex SHA-256 of a text (NULL stays NULL). -#}
{% macro sha256_hex(expr) -%}
    {{- adapter.dispatch('sha256_hex', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}


{#- Is `value` an element of the list `arr`? -#}
{% macro list_has(arr, value) -%}
    array_contains({{ arr }}, {{ value }})
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
{% macro default__list_clean(arr) %}{{ adapter_not_supported('list_clean') }}{% endmacro %}
{% macro default__agg_sorted_list(expr) %}{{ adapter_not_supported('agg_sorted_list') }}{% endmacro %}


{#- A handle as compared everywhere: lower-case, without a leading '@' (YouTube, X,
    Mastodon) or 'u/' (Reddit). Mastodon remote handles keep their '@domain' part. -#}
{% macro normalize_handle(expr) -%}
    lower(regexp_replace(trim({{ expr }}), '^(@|/?u/)', ''))
{%- endmacro %}


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


{#- A regular expression as an SQL string literal: Spark's parser reads backslash escapes in
    string literals ('\d' would reach the regex as 'd'), DuckDB's does not. -#}
{% macro regex_literal(pattern) -%}
    {{- adapter.dispatch('regex_literal', 'carepulse')(pattern) -}}
{%- endmacro %}
{% macro duckdb__regex_literal(pattern) -%}
    {{ sql_string(pattern) }}
{%- endmacro %}
{% macro spark__regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "''") }}'
{%- endmacro %}


{#- Spark implementations (Java regular expressions; lambdas `x -> ...`). Lists are arrays;
    an aggregate over no value gives NULL as DuckDB's list() does. -#}
{% macro spark__iso_to_utc(expr) -%}
    try_cast({{ expr }} as timestamp)
{%- endmacro %}

{% macro spark__compact_utc_to_ts(expr) -%}
    try_to_timestamp({{ expr }}, "yyyyMMdd'T'HHmmss'Z'")
{%- endmacro %}

{% macro spark__epoch_to_utc(expr) -%}
    timestamp_micros(cast(round(cast({{ expr }} as double) * 1000000) as bigint))
{%- endmacro %}

{% macro spark__iso_duration_seconds(expr) -%}
    case when {{ expr }} is not null then
          coalesce(try_cast(regexp_extract({{ expr }}, {{ regex_literal('(\d+)D') }}, 1) as bigint), 0) * 86400
        + coalesce(try_cast(regexp_extract({{ expr }}, {{ regex_literal('T.*?(\d+)H') }}, 1) as bigint), 0) * 3600
        + coalesce(try_cast(regexp_extract({{ expr }}, {{ regex_literal('T.*?(\d+)M') }}, 1) as bigint), 0) * 60
        + coalesce(try_cast(regexp_extract({{ expr }}, {{ regex_literal('T.*?(\d+)S') }}, 1) as bigint), 0)
    end
{%- endmacro %}

{#- A code point as text: Spark's chr() wraps at 256, so through its UTF-32 bytes. -#}
{% macro spark__decode_html_entities(expr) -%}
    replace(
        aggregate(
            array_distinct(regexp_extract_all({{ expr }}, '&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});', 0)),
            replace(replace(replace(replace(replace({{ expr }},
                '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&apos;', ''''), '&nbsp;', ' '),
            (acc, ref) -> replace(acc, ref, decode(unhex(lpad(hex(cast(
                case when lower(ref) like '&#x%'
                     then conv(substr(ref, 4, length(ref) - 4), 16, 10)
                     else substr(ref, 3, length(ref) - 3) end as int)), 8, '0')), 'UTF-32'))
        ),
        '&amp;', '&')
{%- endmacro %}

{% macro spark__html_to_text(expr) -%}
    trim({{ decode_html_entities(
        "regexp_replace(regexp_replace(regexp_replace(regexp_replace(" ~ expr ~ ", "
        ~ regex_literal('(?i)<br\\s*/?>') ~ ", chr(10)), "
        ~ regex_literal('(?i)</p>\\s*<p[^>]*>') ~ ", chr(10) || chr(10)), "
        ~ "'<[^>]*>', ''), "
        ~ regex_literal('[ \\t]+\\n') ~ ", chr(10))"
    ) }})
{%- endmacro %}

{% macro spark__hashtags_in(expr) -%}
    array_sort(array_distinct(filter(
        transform(regexp_extract_all(coalesce({{ expr }}, ''), {{ regex_literal('(?:^|[^\pL\pN_&#/])#([\pL\pN_]+)') }}, 1),
                  t -> lower(t)),
        t -> not t rlike '^[0-9]+$')))
{%- endmacro %}

{% macro spark__at_handles_in(expr) -%}
    array_sort(array_distinct(transform(
        regexp_extract_all(coalesce({{ expr }}, ''),
                           {{ regex_literal('(?:^|[^\pL\pN_@./])@([\pL\pN_](?:[\pL\pN_.-]*[\pL\pN_])?)') }}, 1),
        h -> lower(h))))
{%- endmacro %}

{% macro spark__reddit_users_in(expr) -%}
    array_sort(array_distinct(transform(
        regexp_extract_all(coalesce({{ expr }}, ''), {{ regex_literal('(?:^|[^\pL\pN_])/?u/([A-Za-z0-9_-]{3,20})') }}, 1),
        h -> lower(h))))
{%- endmacro %}

{% macro spark__words_padded(expr) -%}
    (' ' || trim(regexp_replace(lower(coalesce({{ expr }}, '')), {{ regex_literal('[^\pL\pN_]+') }}, ' ')) || ' ')
{%- endmacro %}

{% macro spark__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}

{% macro spark__list_clean(arr) -%}
    array_sort(array_distinct(filter({{ arr }}, x -> x is not null and x <> '')))
{%- endmacro %}

{% macro spark__agg_sorted_list(expr) -%}
    case when count({{ expr }}) > 0 then array_sort(array_distinct(collect_list({{ expr }}))) end
{%- endmacro %}

{% macro spark__list_lower(arr) -%}
    transform({{ arr }}, x -> lower(x))
{%- endmacro %}

{% macro spark__list_len(arr) -%}
    coalesce(array_size({{ arr }}), 0)
{%- endmacro %}

{% macro spark__list_count_prefix(arr, prefix) -%}
    coalesce(array_size(filter({{ arr }}, x -> startswith(x, {{ sql_string(prefix) }}))), 0)
{%- endmacro %}

{#- DuckDB's list_concat treats one NULL list as empty. -#}
{% macro spark__list_concat(a, b) -%}
    case when {{ a }} is null then {{ b }} when {{ b }} is null then {{ a }} else concat({{ a }}, {{ b }}) end
{%- endmacro %}

{% macro spark__empty_string_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{% macro spark__agg_replacements(from_expr, to_expr, condition) -%}
    {%- set kept = '(' ~ condition ~ ') and ' ~ from_expr ~ ' is not null and ' ~ from_expr ~ " <> ''" -%}
    case when count(case when {{ kept }} then 1 end) > 0 then array_sort(array_distinct(collect_list(
        case when {{ kept }} then named_struct('handle', {{ from_expr }}, 'label', {{ to_expr }}) end))) end
{%- endmacro %}

{#- The handle quoted with \Q..\E (handles hold no '\E'); '$1' is Java's group reference. -#}
{% macro spark__mask_private_mentions(text, replacements) -%}
    case when {{ replacements }} is null then {{ text }} else
    aggregate(
        {{ replacements }},
        {{ text }},
        (acc, r) -> regexp_replace(acc, {{ regex_literal('(?i)(@|\\bu/)\\Q') }} || r.handle || {{ regex_literal('\\E\\b') }}, '$1' || r.label))
    end
{%- endmacro %}


{#- The rows of a list, in FROM: `cross join {{ unnest_rows('t.list') }} as u(element)`. -#}
{% macro unnest_rows(arr) -%}
    {{- adapter.dispatch('unnest_rows', 'carepulse')(arr) -}}
{%- endmacro %}
{% macro duckdb__unnest_rows(arr) -%}
    unnest({{ arr }})
{%- endmacro %}
{% macro spark__unnest_rows(arr) -%}
    lateral explode({{ arr }})
{%- endmacro %}


{#- The elements of a list of strings, sorted, joined by `sep` (an SQL string). -#}
{% macro list_sorted_joined(arr, sep) -%}
    {{- adapter.dispatch('list_sorted_joined', 'carepulse')(arr, sep) -}}
{%- endmacro %}
{% macro duckdb__list_sorted_joined(arr, sep) -%}
    array_to_string(list_sort({{ arr }}), {{ sep }})
{%- endmacro %}
{% macro spark__list_sorted_joined(arr, sep) -%}
    array_join(array_sort({{ arr }}), {{ sep }})
{%- endmacro %}


{#- How many elements `var` of a list satisfy `condition`. -#}
{% macro list_count_where(arr, var, condition) -%}
    {{- adapter.dispatch('list_count_where', 'carepulse')(arr, var, condition) -}}
{%- endmacro %}
{% macro duckdb__list_count_where(arr, var, condition) -%}
    len(list_filter({{ arr }}, lambda {{ var }}: {{ condition }}))
{%- endmacro %}
{% macro spark__list_count_where(arr, var, condition) -%}
    size(filter({{ arr }}, {{ var }} -> {{ condition }}))
{%- endmacro %}


{#- The sum of `expr` over the elements `var` of a list (NULL for an empty list on DuckDB;
    `zero`, typed, on Spark: callers coalesce). -#}
{% macro list_sum_of(arr, var, expr, zero) -%}
    {{- adapter.dispatch('list_sum_of', 'carepulse')(arr, var, expr, zero) -}}
{%- endmacro %}
{% macro duckdb__list_sum_of(arr, var, expr, zero) -%}
    list_sum(list_transform({{ arr }}, lambda {{ var }}: {{ expr }}))
{%- endmacro %}
{% macro spark__list_sum_of(arr, var, expr, zero) -%}
    aggregate({{ arr }}, {{ zero }}, (acc, {{ var }}) -> acc + coalesce({{ expr }}, {{ zero }}))
{%- endmacro %}


{#- `expr` of the elements `var` of a list that satisfy `condition`, joined by `sep`. -#}
{% macro list_joined_where(arr, var, expr, condition, sep) -%}
    {{- adapter.dispatch('list_joined_where', 'carepulse')(arr, var, expr, condition, sep) -}}
{%- endmacro %}
{% macro duckdb__list_joined_where(arr, var, expr, condition, sep) -%}
    array_to_string([{{ expr }} for {{ var }} in {{ arr }} if {{ condition }}], {{ sep }})
{%- endmacro %}
{% macro spark__list_joined_where(arr, var, expr, condition, sep) -%}
    array_join(transform(filter({{ arr }}, {{ var }} -> {{ condition }}), {{ var }} -> {{ expr }}), {{ sep }})
{%- endmacro %}


{#- The distinct non-null values of `expr` over a window, joined by `sep` (NULL for none). -#}
{% macro distinct_joined_over(expr, sep, window) -%}
    {{- adapter.dispatch('distinct_joined_over', 'carepulse')(expr, sep, window) -}}
{%- endmacro %}
{% macro duckdb__distinct_joined_over(expr, sep, window) -%}
    string_agg(distinct {{ expr }}, {{ sep }}) over ({{ window }})
{%- endmacro %}
{% macro spark__distinct_joined_over(expr, sep, window) -%}
    nullif(array_join(array_distinct(collect_list({{ expr }}) over ({{ window }})), {{ sep }}), '')
{%- endmacro %}


{#- The distinct non-null values of `expr` over a window as a sorted list (the elements of
    lists, flattened, when `flatten`). -#}
{% macro sorted_list_over(expr, window, flatten=false) -%}
    {{- adapter.dispatch('sorted_list_over', 'carepulse')(expr, window, flatten) -}}
{%- endmacro %}
{% macro duckdb__sorted_list_over(expr, window, flatten) -%}
    {%- if flatten -%}
    list_sort(list_distinct(flatten(list({{ expr }}) over ({{ window }}))))
    {%- else -%}
    list_sort(list_distinct(list({{ expr }}) over ({{ window }})))
    {%- endif -%}
{%- endmacro %}
{% macro spark__sorted_list_over(expr, window, flatten) -%}
    {%- if flatten -%}
    array_sort(array_distinct(flatten(collect_list({{ expr }}) over ({{ window }}))))
    {%- else -%}
    array_sort(array_distinct(collect_list({{ expr }}) over ({{ window }})))
    {%- endif -%}
{%- endmacro %}


{#- The first non-null value of `expr` in a window's order. -#}
{% macro first_non_null_over(expr, window) -%}
    {{- adapter.dispatch('first_non_null_over', 'carepulse')(expr, window) -}}
{%- endmacro %}
{% macro duckdb__first_non_null_over(expr, window) -%}
    first_value({{ expr }} ignore nulls) over ({{ window }})
{%- endmacro %}
{% macro spark__first_non_null_over(expr, window) -%}
    first({{ expr }}, true) over ({{ window }})
{%- endmacro %}


{#- A US date ('07/01/2025') as DATE; NULL when it does not parse. -#}
{% macro us_date(expr) -%}
    {{- adapter.dispatch('us_date', 'carepulse')(expr) -}}
{%- endmacro %}
{% macro duckdb__us_date(expr) -%}
    cast(try_strptime({{ expr }}, '%m/%d/%Y') as date)
{%- endmacro %}
{% macro spark__us_date(expr) -%}
    to_date(try_to_timestamp({{ expr }}, 'MM/dd/yyyy'))
{%- endmacro %}
