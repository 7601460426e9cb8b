{#- How fresh each source is at the as-of date (int_source_freshness), published. -#}
with

freshness as (
    select * from {{ ref('int_source_freshness') }}
)

select * from freshness
