"""Messages that templates translate from data, declared here for extraction.

Templates translate enum values and computed states at run time, e.g.
``_(operation.status.value)``, ``_(membership.role.value)``, ``_(r.action)``
and ``_(invitation_state(inv))``. Extraction cannot see those msgids, so each
possible value is listed below as a literal ``N_()`` call: ``pybabel extract``
(scripts/extract-messages) picks them up and translators see them in the
catalogs. The module is never imported; it exists only for extraction.

Keep it in step with the enums: tests/web/test_i18n.py fails when a value of
one of them has no translation.
"""

from __future__ import annotations

from corridor.web.templating import N_

# corridor.operations.models.OperationStatus
OPERATION_STATUSES = (
    N_("planning"),
    N_("active"),
    N_("closing"),
    N_("closed"),
)

# corridor.operations.models.PartnerStatus ("active" is shared with the above)
PARTNER_STATUSES = (
    N_("active"),
    N_("suspended"),
)

# corridor.accounts.models.OrganisationType
ORGANISATION_TYPES = (
    N_("un_agency"),
    N_("ngo"),
    N_("red_cross_red_crescent"),
    N_("authority"),
    N_("other"),
)

# corridor.accounts.models.Role
ROLES = (
    N_("admin"),
    N_("coordinator"),
    N_("field_officer"),
    N_("ddr_officer"),
    N_("viewer"),
)

# Audit record actions (corridor.audit.hook)
AUDIT_ACTIONS = (
    N_("create"),
    N_("update"),
    N_("delete"),
    N_("purge"),
)

# corridor.operations.api.invitation_state
INVITATION_STATES = (
    N_("pending"),
    N_("accepted"),
    N_("expired"),
    N_("withdrawn"),
)

# corridor.operations.models.CorridorStatus ("suspended" and "closed" are shared with the above)
CORRIDOR_STATUSES = (
    N_("planned"),
    N_("open"),
    N_("suspended"),
    N_("closed"),
)

# corridor.routing.models.HazardKind ("other" is shared with the organisation types)
HAZARD_KINDS = (
    N_("shelling"),
    N_("armed_clashes"),
    N_("front_line"),
    N_("checkpoint_closed"),
    N_("road_damaged"),
    N_("unexploded_ordnance"),
    N_("other"),
)

# Hazard severities (corridor.routing.models.Hazard.severity)
HAZARD_SEVERITIES = (
    N_("avoid"),
    N_("factor"),
)

# Incident statuses (corridor.routing.incidents)
INCIDENT_STATUSES = (
    N_("reported"),
    N_("verified"),
    N_("discounted"),
)

# Corridor flag states (corridor.operations.corridors; "pending" and "accepted"
# are shared with the invitation states)
FLAG_STATES = (
    N_("pending"),
    N_("proposed"),
    N_("accepted"),
    N_("rejected"),
    N_("superseded"),
)

# corridor.crossings.models.FormState ("closing" and "closed" are shared with the
# operation statuses)
FORM_STATES = (
    N_("open"),
    N_("closing"),
    N_("closed"),
)

# corridor.crossings.models.SubmissionState
SUBMISSION_STATES = (
    N_("complete"),
    N_("missing_attachments"),
)

# corridor.db.mixins.LawfulBasis
LAWFUL_BASES = (
    N_("vital_interest"),
    N_("public_interest"),
    N_("consent"),
    N_("legitimate_interest"),
    N_("legal_obligation"),
)

# The registration form's choices (corridor.crossings.submissions)
RELATIONSHIPS = (
    N_("head"),
    N_("spouse"),
    N_("son"),
    N_("daughter"),
    N_("father"),
    N_("mother"),
    N_("brother"),
    N_("sister"),
    N_("grandchild"),
    N_("other_relative"),
    N_("unrelated"),
)
SEXES = (N_("female"), N_("male"))
DOB_PRECISIONS = (N_("exact"), N_("month"), N_("year"), N_("estimated_age"))
CHILD_STATUSES = (N_("accompanied"), N_("unaccompanied"), N_("separated"))
REUNIFICATION_STATUSES = (N_("not_started"), N_("tracing"), N_("located"), N_("reunified"))
# Washington Group Short Set domains (corridor.crossings.models.WG_DOMAINS)
WG_DOMAINS = (
    N_("seeing"),
    N_("hearing"),
    N_("walking"),
    N_("cognition"),
    N_("selfcare"),
    N_("communication"),
)

# corridor.aid.models: PlaceKind, PlaceStatus, Service, Unit, WaybillStatus, MovementKind
AID_VALUES = (
    N_("warehouse"),
    N_("aid_point"),
    N_("planned"),
    N_("open"),
    N_("food"),
    N_("water"),
    N_("non_food_items"),
    N_("medical"),
    N_("child_friendly_space"),
    N_("piece"),
    N_("g"),
    N_("ml"),
    N_("draft"),
    N_("dispatched"),
    N_("received"),
    N_("cancelled"),
    N_("receipt"),
    N_("dispatch"),
    N_("waybill_receipt"),
    N_("distribution"),
    N_("write_off"),
    N_("count_adjustment"),
    N_("reversal"),
    N_("discrepancy"),
)

# corridor.aid.models.RecipientKind
RECIPIENT_KINDS = (
    N_("household"),
    N_("individual"),
    N_("anonymous"),
)

# corridor.aid.models.ReconciliationFlag
RECONCILIATION_FLAGS = (
    N_("stock_shortfall"),
    N_("entitlement_exceeded"),
    N_("point_not_open"),
    N_("unknown_recipient"),
)

# corridor.aid.models: ConsultationCategory, Referral ("other" is shared)
CONSULTATION_VALUES = (
    N_("trauma_injury"),
    N_("chronic_disease"),
    N_("maternal"),
    N_("child_health"),
    N_("mental_health"),
    N_("none"),
    N_("hospital"),
)

# corridor.aid.models.WriteOffReason
WRITE_OFF_REASONS = (
    N_("loss"),
    N_("damage"),
    N_("expiry"),
)

# corridor.amnesty: intake status, sex, item details, custody steps, destruction
# methods, certificate types and the topics explained before consent (values
# shared with the above are not repeated)
AMNESTY_VALUES = (
    N_("registered"),
    N_("certified"),
    N_("unknown"),
    N_("small_arm"),
    N_("light_weapon"),
    N_("ammunition"),
    N_("explosive_ordnance"),
    N_("present"),
    N_("removed"),
    N_("serviceable"),
    N_("unserviceable"),
    N_("unsafe"),
    N_("marked"),
    N_("unmarked"),
    N_("marked_at_collection"),
    N_("collected"),
    N_("recorded"),
    N_("stored"),
    N_("transported"),
    N_("destroyed"),
    N_("disposed"),
    N_("cutting"),
    N_("crushing"),
    N_("shredding"),
    N_("burning"),
    N_("smelting"),
    N_("open_detonation"),
    N_("open_burning"),
    N_("amnesty"),
    N_("safe_passage"),
    N_("programme"),
    N_("amnesty_terms"),
    N_("certificate"),
    N_("personal_data"),
    N_("withdrawal"),
    N_("revoked"),
)

# corridor.aid.models.Category ("food", "medical" and "other" are declared above)
ITEM_CATEGORIES = (
    N_("wash"),
    N_("shelter_nfi"),
    N_("nutrition"),
    N_("education"),
)

# corridor.crossings.models.Direction
DIRECTIONS = (
    N_("outbound"),
    N_("inbound"),
)

# corridor.operations.models.VehicleKind, MovementStatus, NotificationChannel
VEHICLE_KINDS = (
    N_("truck"),
    N_("bus"),
    N_("ambulance"),
    N_("car"),
)
MOVEMENT_STATUSES = (
    N_("planned"),
    N_("cancelled"),
    N_("completed"),
)
NOTIFICATION_CHANNELS = (
    N_("email"),
    N_("phone"),
    N_("radio"),
    N_("in_person"),
    N_("liaison_officer"),
)

# Kinds of the sites in a deconfliction notice, and the stock alerts on the dashboard
REPORT_VALUES = (
    N_("checkpoint"),
    N_("amnesty_desk"),
    N_("amnesty_depot"),
    N_("below_reorder_level"),
    N_("expiring"),
)
