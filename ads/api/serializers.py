"""Input and output shapes of the ads API (snake_case here; camelCase on the wire)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from ads.models import (
    Ad,
    AdAccount,
    AdAccountPermission,
    AdAccountStatus,
    AdObjectStatus,
    AdPermissionLevel,
    AdPlatform,
    AdSet,
    Campaign,
    Creative,
    InsightBreakdown,
    InsightLevel,
    Lead,
    LeadForm,
)
from ads.services.creation import OBJECTIVES
from ads.services.insights import METRICS


class PatternChoiceField(serializers.ChoiceField):
    """A choice field documented with a pattern instead of an enum: `status` and `type` are field names other apps
    use with other value sets, and the schema's enum components are named per field name, so an enum here would
    rename theirs."""


class PatternChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = PatternChoiceField

    def map_serializer_field(self, auto_schema, direction):
        values = [str(choice) for choice in self.target.choices]
        return {"type": "string", "pattern": f"^({'|'.join(values)})$", "description": f"One of: {', '.join(values)}."}


class CommaList(serializers.CharField):
    """`a,b,c` in a query string -> ["a", "b", "c"]."""

    def __init__(self, *, choices: list[str] | None = None, max_items: int = 200, **kwargs) -> None:
        self.choices = choices
        self.max_items = max_items
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> list[str]:
        items = [item.strip() for item in super().to_internal_value(data).split(",") if item.strip()]
        if len(items) > self.max_items:
            raise serializers.ValidationError(f"At most {self.max_items} values.")
        if self.choices is not None:
            unknown = [i for i in items if i not in self.choices]
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown value(s): {', '.join(unknown)}. Allowed: {', '.join(self.choices)}."
                )
        return items


# --- accounts -------------------------------------------------------------------------------------------------------
class AdAccountOutput(serializers.ModelSerializer):
    status = PatternChoiceField(choices=AdAccountStatus.choices, read_only=True)
    timezone = serializers.CharField(source="timezone_name")
    team_id = serializers.UUIDField(allow_null=True)
    my_permission = serializers.SerializerMethodField()

    class Meta:
        model = AdAccount
        fields = [
            "id",
            "platform",
            "external_id",
            "name",
            "currency",
            "timezone",
            "business_name",
            "status",
            "team_id",
            "my_permission",
            "last_synced_at",
            "sync_paused_until",
            "last_sync_error",
            "insights_synced_from",
            "insights_synced_through",
            "created_at",
        ]
        read_only_fields = fields

    def get_my_permission(self, account: AdAccount) -> str | None:
        from ads.services.access import permission_on

        principal = self.context.get("principal")
        return permission_on(principal, account) if principal else None


class AdsConnectInput(serializers.Serializer):
    platform = serializers.ChoiceField(choices=AdPlatform.choices)
    redirect_uri = serializers.URLField(max_length=2000)
    team_id = serializers.UUIDField(required=False, allow_null=True)


class AdsConnectOutput(serializers.Serializer):
    auth_url = serializers.CharField()
    state = serializers.CharField()
    expires_at = serializers.DateTimeField()


class AdAccountUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False)
    team_id = serializers.UUIDField(required=False, allow_null=True)


class AdAccountRemovalOutput(serializers.Serializer):
    ad_account_id = serializers.UUIDField()
    deleted_connections = serializers.IntegerField()
    deleted_ad_account = serializers.BooleanField()


class AdSyncInput(serializers.Serializer):
    full = serializers.BooleanField(required=False, default=False)


class AdSyncQueuedOutput(serializers.Serializer):
    queued = serializers.BooleanField()
    sync_paused_until = serializers.DateTimeField(allow_null=True)


class AdPermissionOutput(serializers.ModelSerializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = AdAccountPermission
        fields = ["user_id", "email", "permission", "created_at", "updated_at"]
        read_only_fields = fields


class AdPermissionInput(serializers.Serializer):
    permission = serializers.ChoiceField(choices=AdPermissionLevel.choices)


# --- mirror ---------------------------------------------------------------------------------------------------------
class AdMirrorQueryInput(serializers.Serializer):
    ids = CommaList(help_text="Platform ids, comma-separated.")
    campaign_ids = CommaList()
    ad_set_ids = CommaList()
    status = CommaList(choices=AdObjectStatus.values)
    fields = CommaList()


class FieldSelectionMixin:
    """`?fields=a,b` keeps only those fields (and `id`); unknown names are a 400 listing the allowed ones."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        wanted = self.context.get("fields") if hasattr(self, "context") else None
        if wanted:
            for name in set(self.fields) - set(wanted) - {"id"}:
                self.fields.pop(name)


MIRROR_COMMON = ["id", "remote_id", "name", "status", "effective_status", "remote_created_at", "remote_updated_at"]


class AdCampaignOutput(FieldSelectionMixin, serializers.ModelSerializer):
    currency = serializers.CharField(source="ad_account.currency")

    class Meta:
        model = Campaign
        fields = [
            *MIRROR_COMMON,
            "objective",
            "daily_budget",
            "lifetime_budget",
            "currency",
            "special_ad_categories",
            "start_time",
            "stop_time",
        ]
        read_only_fields = fields


class AdSetOutput(FieldSelectionMixin, serializers.ModelSerializer):
    currency = serializers.CharField(source="ad_account.currency")

    class Meta:
        model = AdSet
        fields = [
            *MIRROR_COMMON,
            "campaign_remote_id",
            "optimization_goal",
            "billing_event",
            "bid_amount",
            "daily_budget",
            "lifetime_budget",
            "currency",
            "start_time",
            "end_time",
            "targeting",
        ]
        read_only_fields = fields


class AdCreativeOutput(FieldSelectionMixin, serializers.ModelSerializer):
    class Meta:
        model = Creative
        fields = [*MIRROR_COMMON, "object_story_spec", "object_story_id"]
        read_only_fields = fields


class AdOutput(FieldSelectionMixin, serializers.ModelSerializer):
    class Meta:
        model = Ad
        fields = [
            *MIRROR_COMMON,
            "campaign_remote_id",
            "ad_set_remote_id",
            "creative_remote_id",
            "promoted_post_remote_id",
        ]
        read_only_fields = fields


class AdStatusInput(serializers.Serializer):
    status = PatternChoiceField(choices=[AdObjectStatus.ACTIVE, AdObjectStatus.PAUSED])


class AdStatusOutput(serializers.Serializer):
    id = serializers.UUIDField()
    remote_id = serializers.CharField()
    status = serializers.CharField()
    effective_status = serializers.CharField()


# --- creation -------------------------------------------------------------------------------------------------------
class AdGeoLocationInput(serializers.Serializer):
    type = PatternChoiceField(choices=["country", "region", "city", "zip"])
    id = serializers.CharField(max_length=64)


class AdNamedIdInput(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=255, required=False)


class AdTargetingInput(serializers.Serializer):
    geo_locations = AdGeoLocationInput(many=True, allow_empty=False)
    excluded_geo_locations = AdGeoLocationInput(many=True, required=False)
    age_min = serializers.IntegerField(min_value=13, max_value=65, required=False)
    age_max = serializers.IntegerField(min_value=13, max_value=65, required=False)
    genders = serializers.ListField(child=serializers.ChoiceField(choices=[0, 1, 2]), required=False)
    interests = AdNamedIdInput(many=True, required=False)
    behaviors = AdNamedIdInput(many=True, required=False)
    life_events = AdNamedIdInput(many=True, required=False)
    industries = AdNamedIdInput(many=True, required=False)
    income = AdNamedIdInput(many=True, required=False)
    locales = serializers.ListField(child=serializers.IntegerField(), required=False)
    audience_ids = serializers.ListField(child=serializers.CharField(max_length=64), required=False)

    def validate(self, attrs):
        if attrs.get("age_min") and attrs.get("age_max") and attrs["age_min"] > attrs["age_max"]:
            raise serializers.ValidationError({"age_max": ["Must not be below ageMin."]})
        return attrs


CALLS_TO_ACTION = [
    "LEARN_MORE",
    "SHOP_NOW",
    "SIGN_UP",
    "GET_QUOTE",
    "APPLY_NOW",
    "DOWNLOAD",
    "SUBSCRIBE",
    "BOOK_TRAVEL",
    "CONTACT_US",
    "WATCH_MORE",
]


class AdCreativeInput(serializers.Serializer):
    primary_text = serializers.CharField(max_length=2200)
    headline = serializers.CharField(max_length=255)
    url = serializers.URLField(required=False, allow_blank=True)
    call_to_action = serializers.ChoiceField(choices=CALLS_TO_ACTION)
    image_url = serializers.URLField(required=False, allow_blank=True)
    video_id = serializers.CharField(max_length=64, required=False)
    thumbnail_url = serializers.URLField(required=False)
    description = serializers.CharField(max_length=255, required=False)

    def validate(self, attrs):
        if not attrs.get("image_url") and not attrs.get("video_id"):
            raise serializers.ValidationError({"image_url": ["imageUrl or videoId is required."]})
        if attrs.get("video_id") and not attrs.get("thumbnail_url"):
            raise serializers.ValidationError({"thumbnail_url": ["Required with videoId."]})
        return attrs


class AdCampaignCreateInput(serializers.Serializer):
    objective = serializers.ChoiceField(choices=sorted(OBJECTIVES))
    campaign_name = serializers.CharField(max_length=255)
    ad_set_name = serializers.CharField(max_length=255, required=False)
    ad_name = serializers.CharField(max_length=255, required=False)
    status = PatternChoiceField(choices=[AdObjectStatus.ACTIVE, AdObjectStatus.PAUSED], required=False)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, help_text="Daily, major units.")
    currency = serializers.CharField(max_length=3, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    special_ad_categories = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[
                "NONE",
                "EMPLOYMENT",
                "HOUSING",
                "CREDIT",
                "ISSUES_ELECTIONS_POLITICS",
                "ONLINE_GAMBLING_AND_GAMING",
                "FINANCIAL_PRODUCTS_SERVICES",
            ]
        ),
        required=False,
    )
    special_ad_countries = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    page_id = serializers.CharField(max_length=64)
    instagram_actor_id = serializers.CharField(max_length=64, required=False)
    optimization_goal = serializers.CharField(max_length=40, required=False)
    conversion_location = serializers.ChoiceField(choices=["WEBSITE", "APP", "MESSENGER"], required=False)
    app_id = serializers.CharField(max_length=64, required=False)
    object_store_url = serializers.URLField(required=False)
    pixel_id = serializers.CharField(max_length=64, required=False)
    conversion_event = serializers.ChoiceField(
        choices=["PURCHASE", "ADD_TO_CART", "INITIATE_CHECKOUT", "SUBSCRIBE", "COMPLETE_REGISTRATION", "LEAD"],
        required=False,
    )
    targeting = AdTargetingInput()
    creative = AdCreativeInput()


class AdRemoteIdsOutput(serializers.Serializer):
    campaign_id = serializers.CharField()
    ad_set_id = serializers.CharField()
    creative_id = serializers.CharField()
    ad_id = serializers.CharField()


class AdCreatedOutput(serializers.Serializer):
    campaign_id = serializers.UUIDField(source="campaign.id")
    ad_set_id = serializers.UUIDField(source="ad_set.id")
    creative_id = serializers.UUIDField(source="creative.id")
    ad_id = serializers.UUIDField(source="ad.id")
    remote = serializers.SerializerMethodField()

    def get_remote(self, created) -> AdRemoteIdsOutput:
        return {
            "campaign_id": created.campaign.remote_id,
            "ad_set_id": created.ad_set.remote_id,
            "creative_id": created.creative.remote_id,
            "ad_id": created.ad.remote_id,
        }


class AdBoostInput(serializers.Serializer):
    post_id = serializers.UUIDField(required=False, help_text="A published Hubbub post.")
    remote_post_id = serializers.CharField(max_length=128, required=False, help_text="Or the platform's post id.")
    page_id = serializers.CharField(max_length=64, required=False)
    name = serializers.CharField(max_length=255, required=False)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, help_text="Daily, major units.")
    currency = serializers.CharField(max_length=3, required=False)
    days = serializers.IntegerField(min_value=1, max_value=90)
    status = PatternChoiceField(choices=[AdObjectStatus.ACTIVE, AdObjectStatus.PAUSED], required=False)
    targeting = AdTargetingInput()

    def validate(self, attrs):
        if not attrs.get("post_id") and not attrs.get("remote_post_id"):
            raise serializers.ValidationError({"post_id": ["postId or remotePostId is required."]})
        return attrs


# --- insights -------------------------------------------------------------------------------------------------------
class AdInsightsQueryInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=InsightLevel.choices, default=InsightLevel.ACCOUNT)
    locals()["from"] = serializers.DateField(help_text="First day (YYYY-MM-DD).")  # `from` is a keyword
    to = serializers.DateField(help_text="Last day, inclusive.")
    breakdown = serializers.ChoiceField(choices=InsightBreakdown.choices, required=False, default="")
    metrics = CommaList(choices=list(METRICS))
    ids = CommaList()

    def validate(self, attrs):
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        if (attrs["to"] - attrs["from"]).days > 365:
            raise serializers.ValidationError({"to": ["At most 366 days per query."]})
        return attrs


class AdInsightRowOutput(serializers.Serializer):
    date = serializers.DateField()
    object_id = serializers.CharField()
    breakdown_value = serializers.CharField()
    impressions = serializers.IntegerField(required=False)
    reach = serializers.IntegerField(required=False)
    clicks = serializers.IntegerField(required=False)
    spend = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    cpm = serializers.DecimalField(max_digits=14, decimal_places=4, required=False, allow_null=True)
    cpc = serializers.DecimalField(max_digits=14, decimal_places=4, required=False, allow_null=True)
    ctr = serializers.DecimalField(max_digits=9, decimal_places=4, required=False, allow_null=True)
    actions = serializers.DictField(child=serializers.CharField(), required=False)
    action_values = serializers.DictField(child=serializers.CharField(), required=False)

    def to_representation(self, instance: dict) -> dict:
        # Only the requested metrics are in the row; absent ones are left out, not rendered as null.
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if key in instance}


class AdInsightTotalsOutput(serializers.Serializer):
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    spend = serializers.DecimalField(max_digits=16, decimal_places=2)
    cpm = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    cpc = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    ctr = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)


class AdInsightsOutput(serializers.Serializer):
    source = serializers.ChoiceField(choices=["stored", "live"], help_text="live: fetched from the platform now.")
    currency = serializers.CharField()
    level = serializers.CharField()
    breakdown = serializers.CharField()
    since = serializers.DateField(help_text="First day.")
    until = serializers.DateField(help_text="Last day.")
    rows = AdInsightRowOutput(many=True)
    totals = AdInsightTotalsOutput()


# --- lead forms -----------------------------------------------------------------------------------------------------
QUESTION_TYPES = [
    "CUSTOM",
    "CITY",
    "COMPANY_NAME",
    "COUNTRY",
    "DOB",
    "EMAIL",
    "GENDER",
    "FIRST_NAME",
    "FULL_NAME",
    "JOB_TITLE",
    "LAST_NAME",
    "MARITIAL_STATUS",
    "PHONE",
    "POST_CODE",
    "STATE",
    "STREET_ADDRESS",
    "WHATSAPP_NUMBER",
    "EDUCATION_LEVEL",
]


class LeadQuestionOptionInput(serializers.Serializer):
    value = serializers.CharField(max_length=255)
    key = serializers.CharField(max_length=100)


class LeadQuestionInput(serializers.Serializer):
    type = PatternChoiceField(choices=QUESTION_TYPES)
    key = serializers.CharField(max_length=100, required=False)
    label = serializers.CharField(max_length=255, required=False)
    options = LeadQuestionOptionInput(many=True, required=False)

    def validate(self, attrs):
        if attrs["type"] == "CUSTOM" and not attrs.get("label"):
            raise serializers.ValidationError({"label": ["A CUSTOM question needs a label."]})
        return attrs


class LeadThankYouPageInput(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    body = serializers.CharField(max_length=1000)
    button_text = serializers.CharField(max_length=60)
    button_type = serializers.ChoiceField(choices=["VIEW_WEBSITE", "CALL_BUSINESS", "WHATSAPP", "DOWNLOAD", "NONE"])
    website_url = serializers.URLField(required=False)
    country_code = serializers.CharField(max_length=2, required=False)
    business_phone_number = serializers.CharField(max_length=30, required=False)

    def validate(self, attrs):
        if attrs["button_type"] in {"VIEW_WEBSITE", "DOWNLOAD"} and not attrs.get("website_url"):
            raise serializers.ValidationError({"website_url": ["Required for this button type."]})
        if attrs["button_type"] in {"CALL_BUSINESS", "WHATSAPP"} and not (
            attrs.get("country_code") and attrs.get("business_phone_number")
        ):
            raise serializers.ValidationError({"business_phone_number": ["countryCode and number are required."]})
        return attrs


class LeadIntroPageInput(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    style = serializers.ChoiceField(choices=["LIST_STYLE", "PARAGRAPH_STYLE"])
    content = serializers.ListField(child=serializers.CharField(max_length=500), max_length=5)


class LeadFormCreateInput(serializers.Serializer):
    page_id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=255)
    questions = LeadQuestionInput(many=True, allow_empty=False)
    privacy_policy_url = serializers.URLField()
    privacy_policy_name = serializers.CharField(max_length=70)
    thank_you_page = LeadThankYouPageInput()
    language = serializers.RegexField(r"^[a-z]{2}_[A-Z]{2}$", help_text="e.g. en_US")
    intro_page = LeadIntroPageInput(required=False)


class LeadFormOutput(serializers.ModelSerializer):
    class Meta:
        model = LeadForm
        fields = [
            "id",
            "remote_id",
            "page_id",
            "name",
            "status",
            "locale",
            "questions",
            "privacy_policy",
            "thank_you_page",
            "intro",
            "leads_count",
            "leads_synced_at",
            "remote_created_at",
        ]
        read_only_fields = fields


class AdLeadsQueryInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class LeadOutput(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = ["id", "remote_id", "remote_created_at", "ad_remote_id", "field_data"]
        read_only_fields = fields


# --- targeting ------------------------------------------------------------------------------------------------------
class AdTargetingSearchInput(serializers.Serializer):
    type = PatternChoiceField(choices=["location", "interest", "behavior", "demographic", "locale"])
    query = serializers.CharField(max_length=100)


class AdTargetingResultOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField())
    country_code = serializers.CharField(allow_blank=True)
    audience_size_lower_bound = serializers.IntegerField(allow_null=True)
    audience_size_upper_bound = serializers.IntegerField(allow_null=True)


class AdTargetingSearchOutput(serializers.Serializer):
    results = AdTargetingResultOutput(many=True)
    cached = serializers.BooleanField()
