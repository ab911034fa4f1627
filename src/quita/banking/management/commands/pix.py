"""`quita pix make --key K --name N --city C [--amount A] [--txid T]`, `quita pix inspect PAYLOAD`, and the job
`quita pix revise` (send the PSP the cobv amounts it has not taken yet)."""

import json

from django.core.management.base import BaseCommand, CommandError

from quita.banking.pix import brcode


class Command(BaseCommand):
    help = "Make a static PIX BR Code (copia e cola) or decode one and check its CRC."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        make = sub.add_parser("make", help="print a static BR Code payload")
        make.add_argument("--key", required=True)
        make.add_argument("--name", required=True)
        make.add_argument("--city", required=True)
        make.add_argument("--amount")
        make.add_argument("--txid")
        make.add_argument("--description", default="")
        inspect = sub.add_parser("inspect", help="decode a payload and check its CRC16")
        inspect.add_argument("payload")
        sub.add_parser("revise", help="send the PSP the new amounts of cobv charges still pending revision (a job)")

    def handle(self, *args, **options):
        if options["action"] == "revise":
            from quita.banking.services import pix_charges_revise

            result = pix_charges_revise()
            self.stdout.write(json.dumps(result))
            if result["failed"]:
                raise CommandError(f"{result['failed']} PIX charge(s) still pending revision at the PSP")
            return
        try:
            if options["action"] == "make":
                self.stdout.write(
                    brcode.make_static(
                        key=options["key"],
                        name=options["name"],
                        city=options["city"],
                        amount=options["amount"],
                        txid=options["txid"],
                        description=options["description"],
                    )
                )
                return
            decoded = brcode.parse(options["payload"])
        except brcode.BRCodeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(decoded, ensure_ascii=False))
        if not decoded["crc_ok"]:
            raise CommandError("CRC does not match")
