"""The published transition table lists every edge of the code's table, and nothing else."""

import re
from pathlib import Path

from django.conf import settings

from orders.state import ORDER_STATE_TABLE

ROW = re.compile(r"^\| `(\w+)` \| `(\w+)` \| `(\w+)` \|$")


def test_docs_list_every_edge_of_the_transition_table():
    text = (Path(settings.BASE_DIR) / "docs" / "orders.md").read_text()
    section = text.split("## Transition table", 1)[1].split("\n## ", 1)[0]
    rows = {m.groups() for line in section.splitlines() if (m := ROW.match(line))}
    assert rows == {(s.value, e.value, t.value) for (s, e), t in ORDER_STATE_TABLE.items()}
