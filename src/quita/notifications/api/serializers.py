from rest_framework import serializers

from quita.notifications.models import Email


class EmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = [
            "id",
            "entity",
            "customer",
            "invoice",
            "kind",
            "to",
            "subject",
            "status",
            "attempts",
            "provider",
            "provider_message_id",
            "error",
            "created_at",
            "last_attempt_at",
            "sent_at",
        ]
        read_only_fields = fields


class InvoiceEmailSerializer(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        allow_empty=True,
        help_text="Addresses; empty or absent sends to the customer's e-mails.",
    )
