-- One row per (platform, handle) whose author is a public account by configuration: the
-- organisation's own accounts, the panel competitors' accounts, and
-- privacy.tracked_public_accounts ("handle" for every platform, or "platform:handle").
-- Authors matching a row here keep their handle in the warehouse whatever their follower count.
with brand_handles as (
    select
        bt.platform,
        bt.term_normalized as handle_normalized,
        bt.brand_id,
        b.brand_role as account_role
    from {{ ref('stg_config__brand_terms') }} as bt
    inner join {{ ref('stg_config__brands') }} as b on b.brand_id = bt.brand_id
    where bt.term_type = 'handle'
),

tracked as (
    select trim({{ json_str('entry', '$') }}) as entry
    from (
        select {{ json_unnest('config', '$.privacy.tracked_public_accounts') }} as entry
        from {{ ref('src_config') }}
    ) as listed
),

tracked_handles as (
    {% for platform in source_names('social') %}
    {% if not loop.first %}union all{% endif %}
    select
        '{{ platform }}' as platform,
        case
            when lower(entry) like '{{ platform }}:%' then {{ normalize_handle("substr(entry, " ~ (platform | length + 2) ~ ")") }}
            else {{ normalize_handle('entry') }}
        end as handle_normalized,
        cast(null as string) as brand_id,
        'tracked' as account_role
    from tracked
    -- "platform:handle" applies to that platform only; a bare handle to every platform
    where lower(entry) like '{{ platform }}:%'
       or not ({% for other in source_names('social') %}lower(entry) like '{{ other }}:%'{{ ' or ' if not loop.last }}{% endfor %})
    {% endfor %}
),

accounts as (
    select *, 1 as priority from brand_handles
    union all
    select *, 2 as priority from tracked_handles
),

ranked as (
    select
        *,
        -- a handle that is both a brand account and on the tracked list is a brand account
        row_number() over (partition by platform, handle_normalized order by priority, brand_id) as rn
    from accounts
)

select
    platform || ':' || handle_normalized as account_key,
    platform,
    handle_normalized,
    brand_id,
    account_role,
    account_role = 'organisation' as is_owned
from ranked
where rn = 1
