{#- The movement of an account-month with MRR (starting_mrr > 0 last month), measured against
    `book`: last month's MRR (reported), or last month's contracts at this month's rate (constant
    currency, prefix cc_). New and reactivation do not depend on the book (there is none); the
    type names the one non-zero movement. Expects starting_mrr, ending_mrr, month, cohort_month. -#}
{% macro mrr_movements_against(book, prefix='') -%}
    case when starting_mrr > 0 and ending_mrr > {{ book }} then ending_mrr - {{ book }} else 0 end
        as {{ prefix }}expansion_mrr,
    case when starting_mrr > 0 and ending_mrr > 0 and ending_mrr < {{ book }} then {{ book }} - ending_mrr else 0 end
        as {{ prefix }}contraction_mrr,
    case when starting_mrr > 0 and ending_mrr = 0 then {{ book }} else 0 end as {{ prefix }}churned_mrr,
    case
        when starting_mrr = 0 and ending_mrr > 0 and month = cohort_month then 'new'
        when starting_mrr = 0 and ending_mrr > 0 then 'reactivation'
        when starting_mrr > 0 and ending_mrr = 0 then 'churn'
        when ending_mrr > {{ book }} then 'expansion'
        when ending_mrr < {{ book }} then 'contraction'
        when ending_mrr > 0 then 'flat'
        else 'inactive'
    end as {{ prefix }}movement_type
{%- endmacro %}
