"""The local catalog: runs, objects, columns and findings in a SQL database."""
