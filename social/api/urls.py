from core.api.routers import ApiRouter
from social.api.media_views import MediaViewSet
from social.api.shortlink_views import ShortLinkViewSet

router = ApiRouter()
router.register("media", MediaViewSet, basename="media")
router.register("shortlinks", ShortLinkViewSet, basename="shortlink")

urlpatterns = router.urls
