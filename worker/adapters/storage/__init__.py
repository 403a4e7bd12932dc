"""Object stores: local files and S3, behind the ObjectStore port."""
