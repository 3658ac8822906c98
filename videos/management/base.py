"""What our management commands share."""

import argparse

from django.core.management.base import BaseCommand, CommandParser


class CommandWithExamples(BaseCommand):
    """A command whose help keeps its own line breaks, so the examples stay readable."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser
