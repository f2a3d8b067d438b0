package org.postroom.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore",
    header = "Restore a backup onto this installation, with the server stopped.",
    description = {
        "Restores a backup made by 'postroom backup' into this installation (POSTROOM_HOME). The server must be "
            + "stopped: the command refuses while its admin API answers or while it holds the queue store's or the "
            + "database's lock. The backup is checked first: every file against its SHA-256 in DIR/manifest.json; "
            + "an incomplete or corrupt backup is refused and nothing is changed. The copy is then staged, the staged "
            + "database and queues are counted against the manifest, and only then is it moved into place: the "
            + "current conf/ and var/ (but var/log) are kept in before-restore-<time>/ of the installation.",
        "An installation whose var/ already holds data is refused unless --force is given. The server rebuilds "
            + "the search index at its next start. Run as root, the restored files are given to the owner of var/ "
            + "(the service user). With a backup of a PostgreSQL installation, restore the database from its "
            + "pg_dump separately."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  systemctl stop postroom && postroom restore /var/backups/postroom/2026-05-01 && systemctl start postroom",
        "  postroom restore /srv/backup/postroom-1 --force"})
final class RestoreCommand extends Action {
    static final String TOOL = "org.postroom.server.backup.RestoreTool";

    @Parameters(paramLabel = "DIR", description = "The backup folder (holding manifest.json).")
    String directory;

    @Option(names = "--force", description = "Replace an installation that holds data (it is kept aside).")
    boolean force;

    RestoreCommand(Session session) {
        super(session);
    }

    @Override
    public Integer call() throws Exception {
        Path backup = Path.of(directory).toAbsolutePath().normalize();
        Path home = session.environment.home();
        String address = Session.loopback(session.setting(Session.ADDRESS_KEY, Session.DEFAULT_ADDRESS));
        String port = session.setting(Session.PORT_KEY, Session.DEFAULT_PORT);
        if (answers(address, port)) {
            throw CliException.failure("the Postroom server is running (its admin API answers at " + address + ":"
                + port + "): stop it first (systemctl stop postroom), then restore");
        }
        List<String> args = new ArrayList<>();
        if (force) {
            args.add("--force");
        }
        args.add(backup.toString());
        args.add(home.toString());
        return ServerTool.run(session, TOOL, session.environment.settings(), args);
    }

    private static boolean answers(String address, String port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, Integer.parseInt(port)), 1000);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }
}
