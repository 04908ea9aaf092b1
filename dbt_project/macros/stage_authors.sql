{#- The body of every stg_<platform>__authors model: one row per author (the latest
    observation), with the privacy decision applied.

    `observations` holds one row per sighting of an account in any page (profiles, embedded
    post authors, comment authors) with: native_author_id, handle, display_name,
    description, followers_count, following_count, post_count, verified, verified_type,
    account_created_at, snapshot_date and the lineage columns (+ _run_started_at,
    _item_index). Handle and verification come from the latest sighting; name, bio and
    creation date from the latest sighting that carried a profile, and counts from the
    latest that carried counts (a comment author or a post author embedded without them
    must not blank what a profile page reported).

    Public accounts keep their native id, handle, display name and bio (redacted). Private
    individuals get pseudonym(platform, native id) as id and handle, and lose display name,
    bio and account creation date. A public profile whose text still shows an identifier
    after redaction is demoted to private (profile_quarantined, counted in stg_quarantine):
    its text is never loaded and the author stays joinable. -#}
{% macro stage_authors(platform, observations) -%}
with observations as (
    select * from {{ observations }}
    where native_author_id is not null
),

latest_identity as (
    select *
    from (
        select *, row_number() over (partition by native_author_id order by {{ latest_first() }}) as sighting_rank
        from observations
    ) as ranked
    where sighting_rank = 1
),

latest_profile as (
    select native_author_id, display_name, description, account_created_at
    from (
        select *, row_number() over (partition by native_author_id order by {{ latest_first() }}) as sighting_rank
        from observations
        where display_name is not null or description is not null
    ) as ranked
    where sighting_rank = 1
),

latest_counts as (
    select native_author_id, followers_count, following_count, post_count
    from (
        select *, row_number() over (partition by native_author_id order by {{ latest_first() }}) as sighting_rank
        from observations
        where followers_count is not null
    ) as ranked
    where sighting_rank = 1
),

settings as (
    select public_follower_threshold from {{ ref('stg_config__settings') }}
),

config_accounts as (
    select handle_normalized, brand_id, account_role, is_owned
    from {{ ref('stg_config__accounts') }}
    where platform = '{{ platform }}'
),

decided as (
    select
        latest_identity.native_author_id,
        latest_identity.handle,
        latest_profile.display_name,
        latest_profile.description,
        latest_profile.account_created_at,
        latest_identity.verified,
        latest_identity.verified_type,
        latest_identity.snapshot_date,
        {{ lineage_columns('latest_identity') }},
        latest_counts.followers_count as latest_followers_count,
        latest_counts.following_count as latest_following_count,
        latest_counts.post_count as latest_post_count,
        config_accounts.brand_id as account_brand_id,
        coalesce(config_accounts.is_owned, false) as is_owned,
        {{ public_reason('config_accounts.account_role', 'latest_identity.verified',
                         'latest_counts.followers_count', 'settings.public_follower_threshold') }}
            as public_reason
    from latest_identity
    cross join settings
    left join latest_profile on latest_profile.native_author_id = latest_identity.native_author_id
    left join latest_counts on latest_counts.native_author_id = latest_identity.native_author_id
    left join config_accounts
        on config_accounts.handle_normalized = {{ normalize_handle('latest_identity.handle') }}
),

screened as (
    select
        *,
        public_reason is not null
            and {{ phi_left_after_redaction(['display_name', 'description']) }} as profile_quarantined
    from decided
)

select
    {{ author_key(platform, 'native_author_id') }} as author_key,
    '{{ platform }}' as platform,
    case when is_public then native_author_id else pseudonym('{{ platform }}', native_author_id) end as author_id,
    case when is_public then handle else pseudonym('{{ platform }}', native_author_id) end as author_handle,
    case when is_public then {{ redact('display_name') }} end as display_name,
    case when is_public then {{ redact('description') }} end as description_redacted,
    is_public as author_is_public,
    case when is_public then public_reason end as public_reason,
    profile_quarantined,
    is_owned,
    account_brand_id,
    coalesce(verified, false) as author_verified,
    verified_type,
    latest_followers_count as followers_count,
    latest_following_count as following_count,
    latest_post_count as post_count,
    case when is_public then account_created_at end as account_created_at,
    snapshot_date,
    {{ lineage_columns() }}
from (
    select *, public_reason is not null and not profile_quarantined as is_public
    from screened
) as authors
{%- endmacro %}
