"""System tier: `stagemeld` in child processes, faults and kills, replicas behind HAProxy,
Chromium, and the disk-seizure attacker."""
