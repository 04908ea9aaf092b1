"""CarePulse."""

import warnings

# pyspark (the Spark engine's extra) warns on import that it "does not yet fully support
# pandas >= 3.0.0", and Great Expectations imports it whenever it is installed: every command
# printed it, on either engine. The project's Spark paths run on pandas 3 and are tested
# there (tests/spark), so the notice is silenced rather than repeated on every command.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                        category=FutureWarning)
