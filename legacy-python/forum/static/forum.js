// Live updates on a thread page: new posts arrive over /live/t/<id> (server-sent events).
(function () {
  'use strict';
  var posts = document.querySelector('[data-live]');
  if (!posts || !window.EventSource) return;
  var source = new EventSource(posts.getAttribute('data-live'));
  source.addEventListener('post', function (event) {
    var post = JSON.parse(event.data);
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
  });
})();
