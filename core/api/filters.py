from djangorestframework_camel_case.util import camel_to_underscore
from rest_framework.filters import OrderingFilter, SearchFilter


class CamelCaseOrderingFilter(OrderingFilter):
    """`?ordering=-createdAt` on the wire, `-created_at` in the ORM."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [camel_to_underscore(param.strip()) for param in params.split(",")]
            ordering = self.remove_invalid_fields(queryset, fields, view, request)
            if ordering:
                return ordering
        return self.get_default_ordering(view)


class DeclaredSearchFilter(SearchFilter):
    """`?search=` only where the view declares `search_fields`: DRF's filter documents the parameter on every list,
    and a list that then ignores it tells clients their search matched everything."""

    def get_schema_operation_parameters(self, view) -> list:
        if not getattr(view, "search_fields", None):
            return []
        return super().get_schema_operation_parameters(view)
