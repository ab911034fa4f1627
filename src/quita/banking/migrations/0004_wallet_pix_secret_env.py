"""The PSP client secret leaves the database: wallets keep only the name of an environment variable.

A wallet that had a secret gets the variable name QUITA_PIX_CLIENT_SECRET_<wallet id>; the operator sets that
variable on the server (README, "PIX"). The secret itself is dropped with its column and is not copied anywhere.
"""

from django.db import migrations, models


def name_the_variables(apps, schema_editor):
    Wallet = apps.get_model("banking", "Wallet")
    for wallet in Wallet.objects.exclude(pix_client_secret="").only("pk"):
        Wallet.objects.filter(pk=wallet.pk).update(pix_client_secret_env=f"QUITA_PIX_CLIENT_SECRET_{wallet.pk}")


class Migration(migrations.Migration):
    dependencies = [
        ("banking", "0003_drop_redundant_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="wallet",
            name="pix_client_secret_env",
            field=models.CharField(
                blank=True,
                help_text="The name of the environment variable that holds the PSP's client secret; the secret is not stored.",
                max_length=100,
                verbose_name="environment variable of the API Pix client secret",
            ),
        ),
        migrations.RunPython(name_the_variables, migrations.RunPython.noop),
        migrations.RemoveField(model_name="wallet", name="pix_client_secret"),
    ]
