// Live updates on a thread page: new posts arrive over /live/t/<id> (server-sent events, docs/live.md).
(function () {
  'use strict';
  var posts = document.querySelector('[data-live]');
  if (!posts || !window.EventSource) return;
  var url = posts.getAttribute('data-live');
  var lastId = '';
  var retryMs = 1000;

  function show(post) {
    if (document.getElementById('p' + post.id)) return;
    var article = document.createElement('article');
    article.className = 'post new';
    article.id = 'p' + post.id;
    var header = document.createElement('header');
    var author = document.createElement('strong');
    author.textContent = post.author.username;
    var time = document.createElement('time');
    time.dateTime = post.created_at;
    time.textContent = post.created_at;
    header.append(author, ' ', time);
    var body = document.createElement('div');
    body.className = 'body';
    body.innerHTML = post.body_html; // rendered and escaped by the server's markdown renderer
    article.append(header, body);
    posts.appendChild(article);
  }

  function connect() {
    // The browser resumes a dropped stream by itself (Last-Event-ID); a stream it gave up on (an error
    // answer while the server restarts) is opened again here, from the last post shown.
    var source = new EventSource(lastId ? url + '?last_event_id=' + encodeURIComponent(lastId) : url);
    source.addEventListener('open', function () {
      retryMs = 1000;
    });
    source.addEventListener('post', function (event) {
      lastId = event.lastEventId;
      show(JSON.parse(event.data));
    });
    // Too much was missed to replay: the page itself is the way to catch up.
    source.addEventListener('reset', function () {
      source.close();
      window.location.reload();
    });
    source.addEventListener('error', function () {
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }
  connect();
})();
