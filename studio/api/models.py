from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a POST that carried `Idempotency-Key`, replayed for 24 h to the
    same token with the same key (a different body with that key is refused). `result` is
    empty while the first request is still being answered."""

    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="one_answer_per_token_key")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
