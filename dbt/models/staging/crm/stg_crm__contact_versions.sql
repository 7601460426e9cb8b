{#- Every version of every contact, for questions about the past ("was the
    champion active on that date?"); stg_crm__contacts holds only the latest. -#}
with

source as (
    select * from {{ source('crm', 'contacts') }}
),

versions as (
    {{ latest_version('source', ['contact_id', 'updated_at']) }}
),

renamed as (
    select
        contact_id,
        account_id,
        role as contact_role,
        is_active and not coalesce(is_deleted, false) as is_active,
        {{ to_utc_timestamp('updated_at') }} as valid_from,
        lead({{ to_utc_timestamp('updated_at') }}) over (partition by contact_id order by updated_at) as valid_to,
        {{ lineage_columns() }}
    from versions
)

select * from renamed
