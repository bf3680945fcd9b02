"""Every package's models, imported in one place so that SQLAlchemy's metadata (and
with it Flask-Migrate and the tests' schema comparison) knows every table.

Wiring, like the app factory that imports it: it may name every package, and no
package imports it.
"""

# ruff: noqa: F401  (imported for their tables)
import eshop.account.models
import eshop.admin.models
import eshop.catalog.models
import eshop.consent.models
import eshop.mail.models
import eshop.newsletter.models
import eshop.orders.models
import eshop.orders.withdrawal_models
import eshop.payments.models
import eshop.privacy.models
import eshop.ratelimits.models
