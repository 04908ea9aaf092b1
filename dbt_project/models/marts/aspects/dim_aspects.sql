-- The patient-experience taxonomy (seed patient_experience_aspects): nine HCAHPS survey
-- domains, with the CMS measure each compares with, and twelve domains hospital reviews add.
select
    aspect_id,
    aspect_name,
    domain,
    hcahps_measure_id,
    is_broad,
    definition
from {{ ref('patient_experience_aspects') }}
