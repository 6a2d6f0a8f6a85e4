"""Signals that people-level events send for higher apps to act on."""

from django.dispatch import Signal

# provider_signed_in.send(sender=…, user=…, claims=…): at every identity-provider sign-in,
# inside its transaction, with the ID token's and userinfo's claims merged. `teams` sets
# memberships from its claim on it.
provider_signed_in = Signal()
