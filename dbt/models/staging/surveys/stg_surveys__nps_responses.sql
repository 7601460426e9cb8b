with

source as (
    select * from {{ source('surveys', 'nps_responses') }}
),

latest as (
    {{ latest_version('source', ['response_id']) }}
),

renamed as (
    select
        response_id,
        account_id,
        contact_id,
        score as nps_score,
        case
            when score >= 9 then 'promoter'
            when score >= 7 then 'passive'
            else 'detractor'
        end as nps_category,
        comment,
        {{ to_utc_timestamp('responded_at') }} as responded_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ lineage_columns() }}
    from latest
    where not coalesce(is_deleted, false)
)

select * from renamed
