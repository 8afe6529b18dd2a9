package dev.tether.server.store;

import java.nio.file.Path;

/** The store's contract on the embedded H2 database. */
class H2StoreTest extends StoreContract {
  @Override
  Database open(Path dir) {
    return Database.openEmbedded(dir);
  }
}
