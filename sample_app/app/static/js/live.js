// Live notes: Socket.IO v5 over Engine.IO v4 on a plain WebSocket, without a library.
//
// Each WebSocket message is one Engine.IO packet, its type the first character: "0" open
// (JSON with pingInterval and pingTimeout), "2" ping (we answer "3", pong), "4" message.
// A message carries a Socket.IO packet, its type the next character: "0" connect, "1"
// disconnect, "2" event (JSON ["name", data]), "4" connect error. So we send "40" to join
// the default namespace, the server answers "40{...}", and events arrive as "42[...]".
//
// A push reaches the page only while it is connected: on every (re)connect the page reads
// what it missed from GET /api/v1/notes?after=<highest id shown>.
(() => {
  "use strict";

  const list = document.getElementById("live-notes");
  const empty = document.getElementById("live-empty");
  const stateLine = document.getElementById("live-state");
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 10000;
  const AFTER_LIMIT = 1000; // page size of ?after=, see the API

  let retryMs = FIRST_RETRY_MS;
  let highestId = 0;
  for (const item of list.children) {
    highestId = Math.max(highestId, Number(item.dataset.id));
  }

  function showState(state, text) {
    stateLine.dataset.state = state;
    stateLine.textContent = text;
  }

  function formatTime(iso) {
    // "2026-12-01T08:12:33.715052+00:00" -> "2026-12-01 08:12:33 UTC", as the server shows it
    return `${iso.slice(0, 19).replace("T", " ")} UTC`;
  }

  function addNote(note, isNew) {
    const id = Number(note.id);
    if (list.querySelector(`li[data-id="${id}"]`)) {
      return; // shown already: pushed and read back by a resync, or pushed twice
    }
    const item = document.createElement("li");
    item.dataset.id = String(id);
    if (isNew) {
      item.className = "new";
    }
    const body = document.createElement("span");
    body.className = "note-body";
    body.textContent = note.body;
    const time = document.createElement("time");
    time.dateTime = note.created_at;
    time.textContent = formatTime(note.created_at);
    item.append(body, " ", time);
    // Newest first: above the first note with a lower id (a resync may bring older ones).
    const below = [...list.children].find((other) => Number(other.dataset.id) < id);
    list.insertBefore(item, below || null);
    highestId = Math.max(highestId, id);
    empty.hidden = true;
  }

  async function resync() {
    for (;;) {
      const response = await fetch(`/api/v1/notes?after=${highestId}`);
      if (!response.ok) {
        throw new Error(`GET /api/v1/notes answered ${response.status}`);
      }
      const { notes } = await response.json();
      for (const note of notes) {
        addNote(note, true);
      }
      if (notes.length < AFTER_LIMIT) {
        return;
      }
    }
  }

  function onEvent(name, data) {
    if (name === "welcome") {
      showState("connected", `Connected to ${data.host} (version ${data.version})`);
    } else if (name === "note") {
      addNote(data, true);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/socket.io/?EIO=4&transport=websocket`);
    let pingWaitMs = 0;
    let pingTimer = null;

    // No ping from the server within pingInterval + pingTimeout: the connection is dead.
    function expectPing() {
      clearTimeout(pingTimer);
      pingTimer = setTimeout(() => socket.close(), pingWaitMs);
    }

    socket.onmessage = (message) => {
      const packet = String(message.data);
      if (packet[0] === "0") {
        const open = JSON.parse(packet.slice(1));
        pingWaitMs = open.pingInterval + open.pingTimeout;
        expectPing();
        socket.send("40");
      } else if (packet === "2") {
        socket.send("3");
        expectPing();
      } else if (packet.startsWith("40")) {
        retryMs = FIRST_RETRY_MS;
        showState("connected", "Connected");
        resync().catch(() => socket.close()); // a failed resync is retried by reconnecting
      } else if (packet.startsWith("42")) {
        const [name, data] = JSON.parse(packet.slice(2));
        onEvent(name, data);
      } else if (packet.startsWith("41") || packet.startsWith("44")) {
        socket.close();
      }
    };

    socket.onclose = () => {
      clearTimeout(pingTimer);
      // Half to all of the current delay, so that pages cut off together come back spread out.
      const delay = Math.round(retryMs * (0.5 + Math.random() / 2));
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      showState("reconnecting", `Disconnected, reconnecting in ${(delay / 1000).toFixed(1)} s…`);
      setTimeout(connect, delay);
    };
  }

  connect();
})();
