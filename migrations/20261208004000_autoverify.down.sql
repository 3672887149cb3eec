DROP TABLE auto_rounds;
