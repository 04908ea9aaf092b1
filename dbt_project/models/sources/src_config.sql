{#- The monitoring config (var `config_json`, written by the transform step from
    config/monitoring.yml): one row holding the config as JSON and the sha256 of the YAML
    file, which versions every run. -#}
-- depends_on: {{ source('carepulse_config', 'config_json') }}
select
    sha256 as config_sha256,
    path as config_path,
    config
from {{ read_config_json() }}
