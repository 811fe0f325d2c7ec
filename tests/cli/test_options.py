"""The command line's help: every option's default said once, and never as None."""

import re

import pytest

from archsearch.cli.main import build_parser


def _command_helps() -> dict[str, str]:
    parser = build_parser()  # argparse lists its subcommands only in the private _actions
    commands = next(action for action in parser._actions if action.choices and "search" in action.choices)
    return {name: sub.format_help() for name, sub in commands.choices.items()}


def test_every_command_says_each_default_once_and_never_none():
    helps = _command_helps()
    assert {"search", "transfer", "compare", "evolve-weights", "latent"} <= set(helps)
    for name, text in helps.items():
        options = re.split(r"\n  (?=-)", text)  # one entry per option, its help lines with it
        assert "(default: None)" not in text and "(default: [])" not in text, name
        for option in options:
            assert option.count("(default") <= 1, f"{name}: {option}"
    assert "(default: 64)" in " ".join(helps["evolve-weights"].split())  # the population's, added by the formatter


def test_a_mistyped_option_is_one_line_naming_it_with_status_2(capsys):
    for argv, named in [(["search", "--latent", "abc"], "--latent"), (["compare", "--seeds", "x"], "--seeds"),
                        (["search", "--nosuch"], "--nosuch"), (["transfer", "--population"], "--population"),
                        ([], "command")]:
        with pytest.raises(SystemExit) as stopped:
            build_parser().parse_args(argv)
        error = capsys.readouterr().err
        assert stopped.value.code == 2 and len(error.splitlines()) == 1 and named in error, error
