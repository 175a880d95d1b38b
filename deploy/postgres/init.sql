-- Studio's store lives in a database of its own beside API management's (POSTGRES_DB=tollgate).
CREATE DATABASE tollgate_studio;
