import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_contract_customer(apps, schema_editor):
    Service = apps.get_model("customers", "Service")
    Contract = apps.get_model("customers", "Contract")
    Service.objects.update(customer_id=Subquery(Contract.objects.filter(pk=OuterRef("contract_id")).values("customer_id")[:1]))


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_run_indexes")]

    operations = [
        migrations.AddField(
            model_name="service",
            name="customer",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="services",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
        migrations.RunPython(copy_contract_customer, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="service",
            name="customer",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="services",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
    ]
