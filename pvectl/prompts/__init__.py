"""``pvectl vm create -i``: the questionary prompt sequence on the shared VM builder.

Imported only when ``-i`` is given (questionary and prompt_toolkit are not needed for help or TAB).
Entry point: :func:`pvectl.prompts.flow.run_prompts`.
"""
