DELETE FROM forces;
