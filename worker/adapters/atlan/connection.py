"""s3-enricher's S3 connection in Atlan: found, remembered, or created once.

Atlan's search lags behind writes, so a connection created moments ago may not be found by
name yet. Its qualified name is therefore taken from the save response and remembered in the
local catalog, which every worker shares; creating it is claimed there first, so that workers
initialising at once create one connection, not one each.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from worker.adapters.atlan.client import atlan_errors
from worker.core.errors import CatalogRejected, CatalogUnavailable
from worker.core.settings import AtlanSettings

if TYPE_CHECKING:
    from pyatlan.client.atlan import AtlanClient

#: How long a worker waits for another one that is creating the S3 connection.
WAIT_S = 90.0
#: A claim on creating the connection older than this was abandoned (the worker died).
CLAIM_STALE_S = 180.0


class ConnectionStore(Protocol):
    """Where the connection is remembered and its creation claimed (``SqlAtlanState``)."""

    def known_connection(self, name: str) -> str | None:
        """The S3 connection's qualified name, once created or found."""
        ...

    def claim_connection(self, name: str, claimant: str, stale_s: float) -> tuple[bool, str | None]:
        """Claim the creation of connection ``name``: (claimed, qualified name if known)."""
        ...

    def set_connection(self, name: str, qualified_name: str | None, claimant: str) -> None:
        """Record the connection's qualified name (``None``: give up the claim)."""
        ...


class ConnectionRegistry:
    """The S3 connection of one writer: configured, remembered, searched, or created.

    :param client: returns the pyatlan client (built lazily by the writer).
    :param settings: the ``atlan`` settings (name, configured qualified name, admin role).
    :param store: the local catalog.
    """

    def __init__(
        self, client: Callable[[], AtlanClient], settings: AtlanSettings, store: ConnectionStore
    ) -> None:
        self._client = client
        self.settings = settings
        self.store = store
        self.qualified_name: str | None = settings.connection_qualified_name

    def find(self) -> str | None:
        """The connection by name in Atlan's search (the oldest, if a race ever made two).

        :raises CatalogWriteError: Atlan could not be searched.
        """
        from pyatlan.errors import NotFoundError
        from pyatlan.model.enums import AtlanConnectorType

        with atlan_errors("looking up the S3 connection"):
            try:
                found = self._client().asset.find_connections_by_name(
                    name=self.settings.connection_name, connector_type=AtlanConnectorType.S3
                )
            except NotFoundError:
                return None
        names = sorted(str(c.qualified_name) for c in found if c.qualified_name)
        return names[0] if names else None

    def known(self) -> str | None:
        """Configured, remembered in the local catalog, or found in search (then remembered).

        :raises CatalogWriteError: Atlan could not be searched.
        """
        if self.qualified_name:
            return self.qualified_name
        name = self.settings.connection_name
        qn = self.store.known_connection(name) or self.find()
        if qn is not None:
            self.store.set_connection(name, qn, "search")
            self.qualified_name = qn
        return qn

    def ensure(self) -> str:
        """Find the connection or create it; one line for ``enricher atlan init``.

        :raises CatalogUnavailable: another worker has been creating it for too long.
        :raises CatalogRejected: it cannot be created (no admin role, a refused definition).
        :raises CatalogWriteError: Atlan refused or is unavailable.
        """
        if self.settings.connection_qualified_name:
            return f"connection {self.settings.connection_qualified_name}: configured"
        existing = self.known()
        if existing is not None:
            return f"connection {existing}: exists"
        name = self.settings.connection_name
        claimant = uuid.uuid4().hex
        deadline = time.monotonic() + WAIT_S
        while True:
            claimed, qn = self.store.claim_connection(name, claimant, CLAIM_STALE_S)
            if qn is not None:
                self.qualified_name = qn
                return f"connection {qn}: created by another worker"
            if claimed:
                break
            if time.monotonic() > deadline:
                raise CatalogUnavailable(
                    f"another worker has been creating the S3 connection {name!r} for over "
                    f"{WAIT_S:.0f} s; run `enricher atlan init` again"
                )
            time.sleep(0.5)
        try:
            qn = self._create()
        except BaseException:
            self.store.set_connection(name, None, claimant)
            raise
        self.store.set_connection(name, qn, claimant)
        self.qualified_name = qn
        return f"connection {qn}: created"

    def _create(self) -> str:
        """Create the S3 connection; its qualified name comes from the save response.

        :raises CatalogRejected: the admin role does not exist (or pyatlan refused the
            connection's definition).
        """
        from pyatlan.model.assets import Connection
        from pyatlan.model.enums import AtlanConnectorType

        client = self._client()
        role = self.settings.connection_admin_role
        with atlan_errors("creating the S3 connection"):
            admin = client.role_cache.get_id_for_name(role)
            if not admin:
                raise CatalogRejected(
                    f"cannot create the S3 connection: Atlan has no role {role!r} visible to "
                    "this API token (set atlan.connection_admin_role, or create the connection "
                    "in Atlan and set atlan.connection_qualified_name)"
                )
            try:
                conn = Connection.creator(
                    client=client,
                    name=self.settings.connection_name,
                    connector_type=AtlanConnectorType.S3,
                    admin_roles=[admin],
                )
            except ValueError as exc:
                raise CatalogRejected(
                    f"pyatlan refused the S3 connection's definition ({type(exc).__name__}): "
                    "check atlan.connection_name and atlan.connection_admin_role"
                ) from exc
            response = client.asset.save(conn)
        created = response.assets_created(Connection) or response.assets_updated(Connection)
        if created and created[0].qualified_name:
            return str(created[0].qualified_name)
        return str(conn.qualified_name)
