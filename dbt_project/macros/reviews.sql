{#- The review sources (kind 'reviews' in the registry) as the review marts read them: each
    source stages stg_<name>__reviews (latest copy per review) and
    stg_<name>__review_observations (each night's state), unioned here. -#}
{% macro staged_reviews(model='reviews') -%}
    {%- for platform in source_names('reviews') %}
    select * from {{ ref('stg_' ~ platform ~ '__' ~ model) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- Keys of the reviews this build changed: a new copy or observation, or a copy the privacy
    screen held back. What the review-keyed marts recompute (their whole history, which is a
    few rows per review). -#}
{% macro changed_reviews() -%}
    {%- for platform in source_names('reviews') %}
    select post_key from {{ ref('stg_' ~ platform ~ '__reviews') }} where {{ in_batch() }}
    union
    select post_key from {{ ref('stg_' ~ platform ~ '__review_observations') }} where {{ in_batch() }}
    union
    {%- endfor %}
    select natural_key from {{ ref('stg_quarantine') }} where {{ in_batch() }} and entity = 'review'
{%- endmacro %}


{#- Pre-hook of a review-keyed incremental mart: drop the rows of the reviews this build changed;
    the model then appends their rows. -#}
{% macro forget_changed_reviews() -%}
    {{- forget_rows('review_key in (' ~ changed_reviews() ~ ')') -}}
{%- endmacro %}


{#- The filter of a review-keyed mart's inputs: the changed reviews only, in an incremental build. -#}
{% macro changed_reviews_only(column='post_key', keyword='where') -%}
    {%- if is_incremental() -%}
    {{ keyword }} {{ column }} in ({{ changed_reviews() }})
    {%- endif -%}
{%- endmacro %}


{#- fct_location_rating_daily's first day to (re)compute: the earliest creation date of a
    review this build changed, and at the latest the day after the last stored one (a night
    without reviews still moves the rolling windows); every day of the reviews on a full build. -#}
{% macro rating_days_from() -%}
    {%- if is_incremental() -%}
    (select least(
        (select min(cast(created_at as date)) from ({{ staged_reviews('review_observations') }}) as o
         where post_key in ({{ changed_reviews() }})),
        (select max(date_day) + 1 from {{ this }})))
    {%- else -%}
    (select min(cast(created_at as date)) from ({{ staged_reviews('review_observations') }}) as o)
    {%- endif -%}
{%- endmacro %}

{% macro forget_rating_days() -%}
    {{- forget_rows('date_day >= ' ~ rating_days_from()) -}}
{%- endmacro %}


{#- The inputs changed_reviews() reads only in incremental builds, named unconditionally so
    dbt knows them at parse time (`-- depends_on: {{ review_inputs() }}`). -#}
{% macro review_inputs() -%}
    {%- for platform in source_names('reviews') -%}
    {{ ref('stg_' ~ platform ~ '__reviews') }} {{ ref('stg_' ~ platform ~ '__review_observations') }} {% endfor -%}
    {{ ref('stg_quarantine') }}
{%- endmacro %}
