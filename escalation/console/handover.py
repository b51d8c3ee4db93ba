"""Where a report may be handed over: the student's choice of who may see it decides.

- `school`: only within the organization (a colleague);
- `school_and_workplace`: also the workplace's advisers (when the workplace is an
  organization in the config) and SBB (which recognises companies for mbo internships);
- `network`: any organization in the network.
"""

from __future__ import annotations

from escalation.casework.directory import Directory, Organization


def allowed_organizations(
    directory: Directory, *, visibility: str, from_org: str, workplace_org: str | None
) -> list[Organization]:
    others = [o for o in directory.organizations if o.id != from_org and o.advisers]
    if visibility == "network":
        return others
    if visibility == "school_and_workplace":
        return [o for o in others if o.id == workplace_org or o.kind == "sbb"]
    return []
