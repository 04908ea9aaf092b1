-- An author keeps a public identity only for a reason of the rule (config account,
-- verified, or followers at or above privacy.public_follower_threshold), and an account of
-- the config is always public unless its profile text was quarantined. Checked on the rows
-- this build wrote.
with settings as (
    select public_follower_threshold from {{ ref('stg_config__settings') }}
)
{%- for platform in source_names('social') %}
select '{{ platform }}' as platform, authors.author_key
from {{ ref('stg_' ~ platform ~ '__authors') }} as authors
cross join settings
where {{ in_batch('authors._loaded_in_build') }} and ((authors.author_is_public and not (
            authors.public_reason in ('owned_account', 'competitor_account', 'tracked_account')
         or (authors.public_reason = 'verified' and authors.author_verified)
         or (authors.public_reason = 'followers' and authors.followers_count >= settings.public_follower_threshold)))
   or (authors.account_brand_id is not null and not authors.author_is_public and not authors.profile_quarantined))
{{ 'union all' if not loop.last }}
{%- endfor %}
