-- Every loaded post is its latest snapshot: its snapshot night is the newest night it has in
-- the snapshot model, and that night's snapshot came from the same page file. Checked for
-- the posts this build wrote.
{%- set platforms = source_names('social') %}
{%- for platform in platforms %}
select '{{ platform }}' as platform, posts.post_key
from {{ ref('stg_' ~ platform ~ '__posts') }} as posts
inner join (
    select post_key, max(snapshot_date) as newest_night
    from {{ ref('stg_' ~ platform ~ '__post_snapshots') }}
    where post_key in (select post_key from {{ ref('stg_' ~ platform ~ '__posts') }} where {{ in_batch() }})
    group by post_key
) as newest on newest.post_key = posts.post_key
left join {{ ref('stg_' ~ platform ~ '__post_snapshots') }} as snapshot
    on snapshot.post_key = posts.post_key and snapshot.snapshot_date = posts.snapshot_date
where {{ in_batch('posts._loaded_in_build') }}
  and (posts.snapshot_date <> newest.newest_night
   or snapshot._source_file is distinct from posts._source_file)
{{ 'union all' if not loop.last }}
{%- endfor %}
