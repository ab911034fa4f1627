from django.db import migrations

DEFAULT_CATEGORIES = [("internet", "Internet"), ("mobile", "Mobile"), ("tv", "TV"), ("other", "Other")]


def add_categories(apps, schema_editor):
    Category = apps.get_model("customers", "Category")
    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
