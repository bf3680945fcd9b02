"""Every package's models, imported in one place so that SQLAlchemy's metadata (and
with it Flask-Migrate and the tests' schema comparison) knows every table.

Wiring, like the app factory that imports it: it may name every package, and no
package imports it.
"""

from eshop.admin import models as admin_models
from eshop.catalog import models as catalog_models
from eshop.consent import models as consent_models
from eshop.mail import models as mail_models
from eshop.newsletter import models as newsletter_models
from eshop.orders import models as orders_models
from eshop.privacy import models as privacy_models
from eshop.ratelimits import models as ratelimits_models

MODELS = (
    admin_models,
    catalog_models,
    consent_models,
    mail_models,
    newsletter_models,
    orders_models,
    privacy_models,
    ratelimits_models,
)
