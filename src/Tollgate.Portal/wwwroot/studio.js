// Studio's uploads (datasets; ONNX models, whose form says data-upload="model"): the file is sent with XMLHttpRequest
// so that the page can show the upload's progress.
document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-upload')) {
        return;
    }
    event.preventDefault();
    var file = form.querySelector('input[type=file]').files[0];
    var status = document.getElementById('upload-status');
    var progress = document.getElementById('upload-progress');
    var model = form.getAttribute('data-upload') === 'model';
    if (!file) {
        status.textContent = model ? 'Choose an ONNX file first.' : 'Choose a CSV or TSV file first.';
        return;
    }
    // A new upload supersedes the last one's message ("Imported …", "Uploaded …").
    document.querySelectorAll('.message-bar.success').forEach(function (bar) { bar.hidden = true; });
    var token = form.querySelector('input[name=__RequestVerificationToken]').value;
    var request = new XMLHttpRequest();
    var name, done;
    if (model) {
        name = form.querySelector('[name=modelName]').value.trim() || file.name.replace(/\.onnx$/i, '');
        done = '/studio/trainedmodels?imported=';
        request.open('POST', form.getAttribute('action') + '?name=' + encodeURIComponent(name));
        request.setRequestHeader('Content-Type', 'application/octet-stream');
    } else {
        name = form.querySelector('[name=datasetName]').value.trim() || file.name;
        var format = form.querySelector('[name=format]').value || (file.name.toLowerCase().endsWith('.tsv') ? 'tsv' : 'csv');
        done = '/studio/datasets?uploaded=';
        request.open('POST', form.getAttribute('action') + '?name=' + encodeURIComponent(name) + '&format=' + encodeURIComponent(format));
        request.setRequestHeader('Content-Type', 'text/csv');
    }
    request.setRequestHeader('RequestVerificationToken', token);
    progress.hidden = false;
    progress.value = 0;
    request.upload.onprogress = function (e) {
        if (e.lengthComputable) {
            progress.value = Math.round(100 * e.loaded / e.total);
            status.textContent = 'Uploading… ' + progress.value + '%';
        }
    };
    request.onload = function () {
        var answer = {};
        try { answer = JSON.parse(request.responseText); } catch (e) { answer = {}; }
        if (request.status === 201) {
            progress.value = 100;
            window.location.assign(done + encodeURIComponent(answer.name || name));
        } else {
            progress.hidden = true;
            status.textContent = 'Not uploaded: ' + ((answer.error && answer.error.message) || ('the portal answered ' + request.status + '.'));
            status.setAttribute('role', 'alert');
        }
    };
    request.onerror = function () {
        progress.hidden = true;
        status.textContent = 'Not uploaded: the portal did not answer.';
    };
    status.textContent = 'Uploading… 0%';
    request.send(file);
});
