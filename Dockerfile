FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN HUBBUB_VAR_DIR=/tmp/build SECRET_KEY=build FIELD_ENCRYPTION_KEYS=build python manage.py collectstatic --noinput
RUN useradd --create-home hubbub && mkdir -p /var/lib/hubbub && chown hubbub /var/lib/hubbub
USER hubbub
EXPOSE 8000
