from tests.s3 import s3_media, s3_server  # noqa: F401
