"""The network's figures: counts from the plaintext statistics columns, suppressed so
that no figure singles out a student.

Modules: `rows` (a report as the figures see it; school years, months, working days),
`query` (reading those rows: the only module that touches the database), `suppress`
(small cells hidden, secondary suppression, years summed into periods), `tables` (what
is counted, per school year and period; medians, rates, the one crossing), `charts`
(SVG/PNG bar charts, matplotlib), `export` (the spreadsheet), `report_pdf` (the yearly
reflection report), `service` (what the console and the public page call).
"""
