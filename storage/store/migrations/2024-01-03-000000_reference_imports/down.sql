DROP TABLE reference_imports;
