package dev.tether.server.store;

import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;

/** The store's contract on a real PostgreSQL, a fresh database per test. */
@WithPostgres
class PostgresStoreTest extends StoreContract {
  private PostgresDatabase database;

  @BeforeEach
  void database(PostgresDatabase database) {
    this.database = database;
  }

  @Override
  Database open(Path dir) {
    return Database.openPostgres(new DatabaseSettings.Postgres(database.jdbcUrl(), database.user(), Optional.of(database.password())));
  }
}
