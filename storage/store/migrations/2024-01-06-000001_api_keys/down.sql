DROP TABLE api_keys;
DROP FUNCTION police_api_keys_changed();
