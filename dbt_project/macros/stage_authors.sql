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
    select *, {{ seen() }} as identity_seen
    from (
        select *, row_number() over (partition by native_author_id order by {{ latest_first() }}) as sighting_rank
        from observations
    ) as ranked
    where sighting_rank = 1
),

latest_profile as (
    select native_author_id, display_name, description, account_created_at, {{ seen() }} as profile_seen
    from (
        select *, row_number() over (partition by native_author_id order by {{ latest_first() }}) as sighting_rank
        from observations
        where display_name is not null or description is not null
    ) as ranked
    where sighting_rank = 1
),

latest_counts as (
    select native_author_id, followers_count, following_count, post_count, {{ seen() }} as counts_seen
    from (
        select *, row_number() over (partition by native_author_id order by {{ latest_first() }}) as sighting_rank
        from observations
        where followers_count is not null
    ) as ranked
    where sighting_rank = 1
),

batch as (
    select
        latest_identity.native_author_id,
        latest_identity.handle,
        latest_identity.verified,
        latest_identity.verified_type,
        latest_identity.snapshot_date,
        {{ lineage_columns('latest_identity') }},
        latest_identity._run_started_at,
        latest_identity._item_index,
        latest_identity.identity_seen,
        latest_profile.display_name,
        latest_profile.description,
        latest_profile.account_created_at,
        cast(latest_profile.account_created_at as date) as account_created_day,
        latest_profile.profile_seen,
        latest_counts.followers_count,
        latest_counts.following_count,
        latest_counts.post_count,
        latest_counts.counts_seen
    from latest_identity
    left join latest_profile on latest_profile.native_author_id = latest_identity.native_author_id
    left join latest_counts on latest_counts.native_author_id = latest_identity.native_author_id
),

{% if is_incremental() %}
pairs as (
    select {{ row_struct('batch') }} as batch, {{ row_struct('stored') }} as stored
    from batch
    left join {{ this }} as stored
        on stored.author_key = {{ author_key(platform, 'batch.native_author_id') }}
),

choices as (
    select
        batch, stored,
        coalesce(stored._identity_seen > batch.identity_seen, false) as identity_stored,
        stored._profile_seen is not null
            and (batch.profile_seen is null or stored._profile_seen > batch.profile_seen) as profile_stored,
        stored._counts_seen is not null
            and (batch.counts_seen is null or stored._counts_seen > batch.counts_seen) as counts_stored
    from pairs
),

merged as (
    -- each of identity, profile and counts from the later of the batch and the stored row;
    -- a private person's name and bio were never stored, so a stored profile of a private
    -- account stays empty (DECISIONLOG.md, "Incremental staging")
    select
        batch.native_author_id,
        case when identity_stored
             then coalesce(case when stored.author_is_public then stored.author_handle end, batch.handle)
             else batch.handle end as handle,
        case when identity_stored then stored.author_verified else batch.verified end as verified,
        case when identity_stored then stored.verified_type else batch.verified_type end as verified_type,
        {%- for column in ['snapshot_date', '_source_file', '_source_sha256', '_source_line', '_run_id',
                           '_extracted_at', '_run_started_at', '_item_index'] %}
        case when identity_stored then stored.{{ column }} else batch.{{ column }} end as {{ column }},
        {%- endfor %}
        case when identity_stored then stored._identity_seen else batch.identity_seen end as identity_seen,
        case when profile_stored then stored.display_name else batch.display_name end as display_name,
        case when profile_stored then stored.description_redacted else batch.description end as description,
        case when profile_stored then stored.account_created_at else batch.account_created_at end
            as account_created_at,
        -- kept for private accounts too (the time is not): a stored private profile has its day
        case when profile_stored then stored.account_created_day else batch.account_created_day end
            as account_created_day,
        case when profile_stored then stored._profile_seen else batch.profile_seen end as profile_seen,
        case when counts_stored then stored.followers_count else batch.followers_count end as followers_count,
        case when counts_stored then stored.following_count else batch.following_count end as following_count,
        case when counts_stored then stored.post_count else batch.post_count end as post_count,
        case when counts_stored then stored._counts_seen else batch.counts_seen end as counts_seen
    from choices
),
{% endif %}

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
        authors.*,
        config_accounts.brand_id as account_brand_id,
        coalesce(config_accounts.is_owned, false) as is_owned,
        {{ public_reason('config_accounts.account_role', 'authors.verified',
                         'authors.followers_count', 'settings.public_follower_threshold') }}
            as public_reason
    from {{ 'merged' if is_incremental() else 'batch' }} as authors
    cross join settings
    left join config_accounts
        on config_accounts.handle_normalized = {{ normalize_handle('authors.handle') }}
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
    followers_count,
    following_count,
    post_count,
    case when is_public then account_created_at end as account_created_at,
    -- the day alone for every account: bot screening needs an account's age, and a creation
    -- day identifies nobody once the platform id is pseudonymised
    account_created_day,
    snapshot_date,
    {{ lineage_columns() }},
    {{ batch_columns() }},
    identity_seen as _identity_seen,
    profile_seen as _profile_seen,
    counts_seen as _counts_seen
from (
    select *, public_reason is not null and not profile_quarantined as is_public
    from screened
) as authors
{%- endmacro %}
