"""Transform-side Python: privacy functions, sentiment scoring, and the dbt build runner."""
