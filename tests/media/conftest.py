from tests.s3 import media_storage, moto_s3  # noqa: F401 (fixtures: every media test runs on local storage and on S3)
