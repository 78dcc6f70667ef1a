CREATE INDEX stops_force_month ON stops (force_id, month);
DROP INDEX stops_force_month_line;
CREATE INDEX outcomes_force_month ON outcomes (force_id, month);
DROP INDEX outcomes_force_month_line;
CREATE INDEX crimes_force_month ON crimes (force_id, month);
DROP INDEX crimes_force_month_line;
