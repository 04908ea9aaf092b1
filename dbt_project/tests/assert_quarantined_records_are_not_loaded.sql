-- A post or comment held back by the privacy screen appears nowhere downstream.
select quarantine.quarantine_key
from {{ ref('stg_quarantine') }} as quarantine
inner join {{ ref('int_posts_unified') }} as posts on posts.post_key = quarantine.natural_key
where quarantine.entity <> 'author_profile' and {{ in_batch('quarantine._loaded_in_build') }}
